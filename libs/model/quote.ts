// Go's strconv.Quote, so that label sets print exactly as Prometheus prints them
// (promtool output, error messages, `Labels.toString`).

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u;

export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp < 0x80) out += '\\x' + hex(cp, 2);
    // The PromQL parser's stand-ins for invalid bytes (U+DC80+byte) print as Go prints the byte.
    else if (cp >= 0xdc80 && cp <= 0xdcff) out += '\\x' + hex(cp - 0xdc00, 2);
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'; // lone surrogate: Go sees invalid UTF-8
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp <= 0xffff) out += '\\u' + hex(cp, 4);
    else out += '\\U' + hex(cp, 8);
  }
  return out + '"';
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label set as Prometheus' Labels.String() prints it: `{a="1", "b.c"="2"}`. */
export function formatLabels(flat: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < flat.length; i += 2) {
    if (i > 0) out += ', ';
    const name = flat[i]!;
    out += LEGACY_LABEL_NAME.test(name) ? name : goQuote(name);
    out += '=' + goQuote(flat[i + 1]!);
  }
  return out + '}';
}
