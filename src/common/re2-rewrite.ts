// Shared: RE2 rewrite strings (Envoy's `substitution`): \0-\9 insert a group, \\ a backslash; parsed once.

/** A parsed rewrite: literal text and group numbers, in order. */
export class Rewrite {
  private constructor(private readonly parts: readonly (string | number)[]) {}

  /**
   * Parses `sub` for a regex with `groupCount` groups, or returns why it is invalid (RE2 refuses other
   * escapes and groups the regex does not have). `$` and everything else is literal.
   */
  static parse(sub: string, groupCount: number): Rewrite | string {
    const parts: (string | number)[] = [];
    let lit = '';
    for (let i = 0; i < sub.length; i++) {
      const c = sub[i]!;
      if (c !== '\\') {
        lit += c;
        continue;
      }
      const n = sub[++i];
      if (n === '\\') lit += '\\';
      else if (n !== undefined && n >= '0' && n <= '9') {
        const g = n.charCodeAt(0) - 48;
        if (g > groupCount) return `substitution refers to group \\${g} but the regex has ${groupCount}`;
        if (lit !== '') parts.push(lit);
        lit = '';
        parts.push(g);
      } else {
        return `invalid escape in substitution ${JSON.stringify(sub)} (only \\0-\\9 and \\\\ are allowed)`;
      }
    }
    if (lit !== '') parts.push(lit);
    return new Rewrite(parts);
  }

  /** The rewrite for one match; `group(n)` is the text of group n, null when it took no part in the match. */
  expand(group: (n: number) => string | null): string {
    let out = '';
    for (const p of this.parts) out += typeof p === 'string' ? p : (group(p) ?? '');
    return out;
  }
}
