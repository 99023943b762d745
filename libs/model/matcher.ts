// Label matchers: =, !=, =~, !~. Regexes are fully anchored, as in Prometheus.
// NOTE: provisional regex handling; regex.ts (RE2 semantics) replaces `compileRegex`.

export const MatchType = {
  Equal: '=',
  NotEqual: '!=',
  Regexp: '=~',
  NotRegexp: '!~',
} as const;
export type MatchType = (typeof MatchType)[keyof typeof MatchType];

export class Matcher {
  private readonly re: RegExp | undefined;

  /** Throws an Error with a Prometheus-like message when a regex is invalid. */
  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
  ) {
    this.re = type === MatchType.Regexp || type === MatchType.NotRegexp ? compileRegex(value) : undefined;
  }

  matches(s: string): boolean {
    switch (this.type) {
      case MatchType.Equal:
        return s === this.value;
      case MatchType.NotEqual:
        return s !== this.value;
      case MatchType.Regexp:
        return this.re!.test(s);
      case MatchType.NotRegexp:
        return !this.re!.test(s);
    }
  }

  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

function compileRegex(src: string): RegExp {
  return new RegExp(`^(?:${src})$`, 'su');
}
