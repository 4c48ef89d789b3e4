// HTTP filters: an HCM's http_filters compiled once into factories; per request, one slot and filter each.
import type { HttpFilter as HttpFilterEntry } from '../../config/types.js';
import type { CompiledRoute } from '../../router/types.js';
import type { HttpFilterFactory } from './api.js';
import { FilterSlot, type FilterManager } from './manager.js';
import { httpFilterByType, type HttpFilterContext } from './registry.js';
import { isRouteFilterConfig } from './route-config.js';

interface Entry {
  readonly name: string;
  readonly factory: HttpFilterFactory;
  /** HttpFilter.disabled: off unless a route enables it. */
  readonly disabledByDefault: boolean;
}

export class HttpFilterChain {
  private readonly entries: Entry[];

  constructor(filters: readonly HttpFilterEntry[], ctx: Omit<HttpFilterContext, 'name'>) {
    this.entries = filters.map((f) => {
      const type = httpFilterByType(f.typed_config['@type']);
      // The validator only lets registered types through, so this is a programming error.
      if (type === undefined) throw new Error(`http filter ${f.name}: no implementation for ${f.typed_config['@type']}`);
      return { name: f.name, factory: type.factory(f.typed_config, { ...ctx, name: f.name }), disabledByDefault: f.disabled };
    });
  }

  /** Makes this request's filters, leaving out those the route disables. */
  create(fm: FilterManager, route: CompiledRoute | null): FilterSlot[] {
    const entries = this.entries;
    const slots: FilterSlot[] = [];
    const perFilter = route?.perFilterConfig;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (perFilter !== undefined && perFilter.size > 0) {
        const c = perFilter.get(e.name);
        if (isRouteFilterConfig(c) ? c.disabled : e.disabledByDefault && c === undefined) continue;
      } else if (e.disabledByDefault) continue;
      const slot = new FilterSlot(fm, slots.length, e.name);
      slot.filter = e.factory(slot);
      slots.push(slot);
    }
    return slots;
  }
}
