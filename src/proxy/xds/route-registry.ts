// xDS client: the RDS registry — the current compiled RouteTable per route_config_name, read by connection managers.
import type { RouteTable } from '../router/types.js';

/** One slot per name; a connection manager holds the slot, so a swap is one assignment and a read one field load. */
interface Slot {
  table: RouteTable | null;
}

export class RouteRegistry {
  private readonly slots = new Map<string, Slot>();

  private slot(name: string): Slot {
    let s = this.slots.get(name);
    if (s === undefined) {
      s = { table: null };
      this.slots.set(name, s);
    }
    return s;
  }

  /**
   * A getter for the HCM: null until the first RouteConfiguration of that name is published (requests then
   * get 404 NR, as in Envoy once a listener stops warming without its routes). A request reads the table
   * once, at route match, so in-flight requests finish on the table they started with.
   */
  getter(name: string): () => RouteTable | null {
    const s = this.slot(name);
    return () => s.table;
  }

  get(name: string): RouteTable | null {
    return this.slots.get(name)?.table ?? null;
  }

  set(name: string, table: RouteTable): void {
    this.slot(name).table = table;
  }
}
