// Config stage: the lookup every extension point shares (HTTP filters, network filters, access loggers) — an extension
// found by its typed_config `@type`, or by its Envoy name when typed_config is absent.
export interface Extension {
  readonly typeUrl: string;
  /** Envoy's extension names (current and deprecated) that imply this type. */
  readonly names: readonly string[];
}

export class ExtensionRegistry<T extends Extension> {
  private readonly byType = new Map<string, T>();
  private readonly byName = new Map<string, T>();

  /** `what` names the extension point in the duplicate-registration error. */
  constructor(private readonly what: string) {}

  register(t: T): void {
    if (this.byType.has(t.typeUrl)) throw new Error(`${this.what} type ${t.typeUrl} registered twice`);
    this.byType.set(t.typeUrl, t);
    for (const n of t.names) this.byName.set(n, t);
  }

  byTypeUrl(typeUrl: string): T | undefined {
    return this.byType.get(typeUrl);
  }

  byExtensionName(name: string): T | undefined {
    return this.byName.get(name);
  }
}
