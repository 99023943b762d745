// Label matchers: =, !=, =~, !~. Regexes follow Prometheus: RE2 syntax, fully anchored, `.`
// matching newlines (see regex.ts and REGEX.md).

import { goQuote } from './quote.ts';
import { FastRegexMatcher, RegexMatchKind } from './regex.ts';

export const MatchType = {
  Equal: '=',
  NotEqual: '!=',
  Regexp: '=~',
  NotRegexp: '!~',
} as const;
export type MatchType = (typeof MatchType)[keyof typeof MatchType];

export class Matcher {
  private readonly re: FastRegexMatcher | undefined;

  /** Throws a RegexError with Prometheus' message (e.g. "error parsing regexp: missing closing ): `(foo`"). */
  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
  ) {
    this.re = type === MatchType.Regexp || type === MatchType.NotRegexp ? new FastRegexMatcher(value) : undefined;
  }

  /** Allocation-free for =, != and the regex fast paths. */
  matches(s: string): boolean {
    switch (this.type) {
      case MatchType.Equal:
        return s === this.value;
      case MatchType.NotEqual:
        return s !== this.value;
      case MatchType.Regexp:
        return this.re!.matchString(s);
      case MatchType.NotRegexp:
        return !this.re!.matchString(s);
    }
  }

  /**
   * For `=~` only: every value the regex matches, when there are few (≤ 256, e.g. `a|b|c`,
   * `foo(bar|baz)`, `[abc]`), so postings can be looked up directly. May contain '' (as for
   * `foo|`). Undefined otherwise, and always for `!~` (unlike Prometheus, so a caller can't
   * mistake the excluded values for the selected ones).
   */
  setMatches(): string[] | undefined {
    return this.type === MatchType.Regexp ? this.re!.setMatches() : undefined;
  }

  /** For regex matchers: the literal text every matching value starts with, or ''. '' for = and !=. */
  prefix(): string {
    return this.re?.prefix() ?? '';
  }

  /** True when a regex matcher answers without running a RegExp. */
  isRegexOptimized(): boolean {
    return this.re !== undefined && this.re.kind !== RegexMatchKind.RegExp;
  }

  /** The matcher selecting the complement. */
  inverse(): Matcher {
    const t =
      this.type === MatchType.Equal
        ? MatchType.NotEqual
        : this.type === MatchType.NotEqual
          ? MatchType.Equal
          : this.type === MatchType.Regexp
            ? MatchType.NotRegexp
            : MatchType.Regexp;
    return new Matcher(t, this.name, this.value);
  }

  /** Prometheus' form: `job="api"`, `"my.name"=~"a|b"` (names quoted unless legacy-valid, values Go-quoted). */
  toString(): string {
    const name = isLegacyName(this.name) ? this.name : goQuote(this.name);
    return `${name}${this.type}${goQuote(this.value)}`;
  }
}

function isLegacyName(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = c === 0x5f || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (i > 0 && c >= 0x30 && c <= 0x39);
    if (!ok) return false;
  }
  return true;
}
