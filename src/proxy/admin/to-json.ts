// Admin: JSON for admin responses — bigint as string, Maps/Sets as plain values, secrets redacted like Envoy's config_dump.
const REDACTED_KEYS = new Set(['private_key', 'password']);

/** Pretty JSON that never throws on bigint and never prints private keys. */
export function toJson(v: unknown): string {
  return JSON.stringify(
    v,
    (key, value: unknown) => {
      if (REDACTED_KEYS.has(key) && value !== undefined && value !== null) return '[redacted]';
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Map) return Object.fromEntries(value);
      if (value instanceof Set) return [...value];
      return value;
    },
    2,
  );
}
