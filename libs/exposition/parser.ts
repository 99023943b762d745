// Streaming parser for the OpenMetrics 1.0 text format and the Prometheus text format 0.0.4.
// Byte-level and allocation-free per entry; strings are decoded only when asked for.
//
// Acceptance follows Prometheus 3's model/textparse (openmetricslex.l, promlex.l and their
// parsers), including UTF-8 quoted metric and label names. Deviations, all on input no exporter
// writes, are listed in README.md.

import { Labels, compareStrings } from '../model/index.ts';
import { FloatError, NORMAL_NAN, floatErrorText, formatOpenMetricsFloat, lastFloatError, parseFloatBytes, parseFloatString } from './float.ts';
import { validUtf8 } from './utf8.ts';

/** What `next()` found. */
export const EntryType = { Series: 0, Type: 1, Help: 2, Unit: 3, Comment: 4, EOF: 5 } as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/** `openmetrics`: OpenMetrics 1.0 text (`application/openmetrics-text`); `prometheus`: text format 0.0.4. */
export type ExpositionFormat = 'openmetrics' | 'prometheus';

/** Metric types as Prometheus names them (`model.MetricType`); the text format's `untyped` is `unknown`. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

export interface ParserOptions {
  /**
   * OpenMetrics timestamps are float seconds. Prometheus converts them with `int64(ts * 1000)`,
   * which truncates after a float multiply and so turns e.g. `2170349933.555` into
   * 2170349933554 (about 0.6% of millisecond timestamps lose 1 ms; promtool does the same).
   * false (default): do exactly that, so blocks match promtool's. true: read plain decimals
   * (no exponent) digit by digit, truncating below the millisecond, so `s.mmm` gives `smmm`.
   */
  exactTimestamps?: boolean;
}

export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds, when the exemplar has a timestamp. */
  readonly timestamp?: number;
}

/** Bad input. `line` is 1-based; the message reads `line 12: expected value after metric, got "abc"`. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  readonly code = 'exposition_parse_error';

  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const NUL = 0x00;
const TAB = 0x09;
const NL = 0x0a;
const SP = 0x20;
const QUOTE = 0x22;
const HASH = 0x23;
const COMMA = 0x2c;
const EQ = 0x3d;
const BSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

// Character classes of the lexers, one bit each.
const C_MSTART = 1; // [a-zA-Z_:]
const C_MCHAR = 2; // [a-zA-Z0-9_:]
const C_LSTART = 4; // [a-zA-Z_]
const C_LCHAR = 8; // [a-zA-Z0-9_]
const C_OMVAL = 16; // OpenMetrics value/timestamp bytes: [^ \n\0]
const C_PVAL = 32; // Prometheus value bytes: [^{ \t\n\0]
const C_DIGIT = 64;
const CLASS = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    const digit = c >= 0x30 && c <= 0x39;
    let v = 0;
    if (letter || c === 0x3a) v |= C_MSTART | C_MCHAR;
    if (digit) v |= C_MCHAR | C_LCHAR | C_DIGIT;
    if (letter) v |= C_LSTART | C_LCHAR;
    if (c !== SP && c !== NL && c !== NUL) v |= C_OMVAL;
    if (c !== SP && c !== NL && c !== NUL && c !== TAB && c !== LBRACE) v |= C_PVAL;
    t[c] = v;
  }
  return t;
})();

// Flags of a decoded span.
const F_ESC = 1; // contains a backslash: unescape
const F_HI = 2; // contains bytes >= 0x80: decode as UTF-8

// Shared cache of decoded ASCII strings (direct-mapped, so bounded and never stale).
const INTERN_MASK = 4095;
const INTERN_MAX_LEN = 64;
const internTable: (string | undefined)[] = new Array<string | undefined>(INTERN_MASK + 1).fill(undefined);

const STRIDE = 6; // per label: name start, end, flags, value start, end, flags
const MAX_MS = Number.MAX_SAFE_INTEGER;

const TYPES_OM = new Map<string, MetricType>([
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['gaugehistogram', 'gaugehistogram'],
  ['summary', 'summary'],
  ['info', 'info'],
  ['stateset', 'stateset'],
  ['unknown', 'unknown'],
]);
const TYPES_PROM = new Map<string, MetricType>([
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['summary', 'summary'],
  ['untyped', 'unknown'],
]);

// Node's Buffer has these (undocumented but long-standing) fast paths behind toString().
interface SliceBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}


/**
 * Pull parser over one exposition document. Call `next()` until it returns undefined; after a
 * `Series` entry read `labels()`, `value()`, `timestamp()`, `exemplar()`; after `Type`, `Help`,
 * `Unit` read `metricFamily()` and `typeValue()`, `help()`, `unit()`; after `Comment` (Prometheus
 * format only) read `comment()`. Accessors are valid until the next `next()` call.
 *
 * OpenMetrics input must end with `# EOF` (returned once as an `EOF` entry); the Prometheus
 * format has none. Errors are thrown as `ParseError` and leave the parser unusable.
 */
export class ExpositionParser {
  private readonly b: SliceBuffer;
  private readonly n: number;
  private readonly om: boolean;
  private readonly exactTs: boolean;
  private pos = 0;
  private done = false;

  private start = 0; // first byte of the current entry
  private seriesEnd = 0; // end of the metric name and labels

  // Series.
  private nameS = -1;
  private nameE = -1;
  private nameF = 0;
  private lbl = new Int32Array(16 * STRIDE);
  private nLbl = 0;
  private val = 0;
  private hasTs = false;
  private ts = 0;

  // Exemplar.
  private hasEx = false;
  private exLbl = new Int32Array(4 * STRIDE);
  private nExLbl = 0;
  private exVal = 0;
  private exHasTs = false;
  private exTs = 0;

  // Metadata and comments.
  private mfS = 0;
  private mfE = 0;
  private mfF = 0;
  private txS = 0;
  private txE = 0;
  private txF = 0;
  // The last TYPE seen; like Prometheus it persists until the next TYPE line.
  private mtype: MetricType = 'unknown';
  private unitText = '';

  private qFlags = 0; // flags of the last scanned quoted string

  // Incremental line counting for lineNumber().
  private linePos = 0;
  private lineNo = 1;

  // Scratch for labels().
  private readonly sNames: string[] = [];
  private readonly sValues: string[] = [];

  constructor(input: Uint8Array | string, format: ExpositionFormat, options: ParserOptions = {}) {
    if (format !== 'openmetrics' && format !== 'prometheus') throw new Error(`unknown exposition format "${String(format)}"`);
    this.om = format === 'openmetrics';
    this.exactTs = options.exactTimestamps === true;
    let b = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    // Prometheus appends a line feed to text-format input, so the last line needs none.
    if (!this.om && (b.length === 0 || b[b.length - 1] !== NL)) {
      const c = Buffer.allocUnsafe(b.length + 1);
      b.copy(c, 0);
      c[b.length] = NL;
      b = c;
    }
    this.b = b as SliceBuffer;
    this.n = b.length;
  }

  /** The next entry, or undefined at the end of the input. Throws ParseError. */
  next(): EntryType | undefined {
    if (this.done) return undefined;
    try {
      return this.om ? this.nextOpenMetrics() : this.nextPrometheus();
    } catch (e) {
      this.done = true;
      throw e;
    }
  }

  /** 1-based line on which the current entry starts. */
  lineNumber(): number {
    return this.lineAt(this.start);
  }

  // ---- Series accessors ----

  /** Labels of the current series, `__name__` included, sorted; empty values are dropped. Throws ParseError on duplicate names. */
  labels(): Labels {
    const names = this.sNames;
    const values = this.sValues;
    names[0] = '__name__';
    values[0] = this.decode(this.nameS, this.nameE, this.nameF);
    const l = this.lbl;
    // le/quantile values are normalised as Prometheus 3 does for classic histograms and summaries.
    const norm = this.mtype === 'histogram' ? 'le' : this.mtype === 'summary' ? 'quantile' : '';
    for (let i = 0; i < this.nLbl; i++) {
      const o = i * STRIDE;
      const name = this.decode(l[o]!, l[o + 1]!, l[o + 2]!);
      let value = this.decode(l[o + 3]!, l[o + 4]!, l[o + 5]!);
      if (name === norm) value = normalizeFloatLabel(value);
      names[i + 1] = name;
      values[i + 1] = value;
    }
    return this.buildLabels(this.nLbl + 1);
  }

  /** Sample value; NaN, +Inf and -Inf as Prometheus reads them. */
  value(): number {
    return this.val;
  }

  /** Sample timestamp in milliseconds, or undefined when the line has none. */
  timestamp(): number | undefined {
    return this.hasTs ? this.ts : undefined;
  }

  /** The exemplar after ` # ` (OpenMetrics only), or undefined. */
  exemplar(): Exemplar | undefined {
    if (!this.hasEx) return undefined;
    const names = this.sNames;
    const values = this.sValues;
    const l = this.exLbl;
    for (let i = 0; i < this.nExLbl; i++) {
      const o = i * STRIDE;
      names[i] = this.decode(l[o]!, l[o + 1]!, l[o + 2]!);
      values[i] = this.decode(l[o + 3]!, l[o + 4]!, l[o + 5]!);
    }
    const labels = this.buildLabels(this.nExLbl);
    return this.exHasTs ? { labels, value: this.exVal, timestamp: this.exTs } : { labels, value: this.exVal };
  }

  /**
   * The metric name and labels exactly as written (Prometheus' `Series()` bytes), as a latin1
   * string: a cheap key for caching `labels()` per series.
   */
  seriesKey(): string {
    return this.b.latin1Slice(this.start, this.seriesEnd);
  }

  // ---- Metadata accessors ----

  /** Metric family name of a Type, Help or Unit entry. */
  metricFamily(): string {
    return this.decode(this.mfS, this.mfE, this.mfF);
  }

  /** Type of a Type entry (`untyped` in the Prometheus format reads as `unknown`). */
  typeValue(): MetricType {
    return this.mtype;
  }

  /** Unescaped text of a Help entry. */
  help(): string {
    const raw = this.decodeRaw(this.txS, this.txE, this.txF);
    if ((this.txF & F_ESC) === 0) return raw;
    // OpenMetrics escapes HELP like label values; the Prometheus format only \\ and \n.
    return this.om ? unescapeLabelValue(raw) : raw.replace(/\\([\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
  }

  /** Unit of a Unit entry ('' when empty). */
  unit(): string {
    return this.unitText;
  }

  /** The whole comment line, `#` included (Prometheus format only). */
  comment(): string {
    return this.decodeRaw(this.txS, this.txE, this.txF);
  }

  // ---- OpenMetrics ----

  private nextOpenMetrics(): EntryType {
    const b = this.b;
    const n = this.n;
    let p = this.pos;
    this.start = p;
    this.resetSeries();
    if (p >= n) throw this.err(p, 'data does not end with # EOF');
    const c = b[p]!;
    if (c === HASH) {
      if (p + 1 >= n || b[p + 1] !== SP) throw this.err(p, `expected a valid start token, got ${this.got(p)}`);
      p += 2;
      if (this.matchWord(p, 'EOF')) {
        p += 3;
        if (p < n && b[p] === NL) p++;
        if (p < n) throw this.err(p, 'unexpected data after # EOF');
        this.pos = p;
        this.done = true;
        return EntryType.EOF;
      }
      let kind: EntryType;
      if (this.matchWord(p, 'HELP ')) kind = EntryType.Help;
      else if (this.matchWord(p, 'TYPE ')) kind = EntryType.Type;
      else if (this.matchWord(p, 'UNIT ')) kind = EntryType.Unit;
      else throw this.err(this.start, `expected a valid start token, got ${this.got(this.start)}`);
      return this.metadataOpenMetrics(kind, p + 5);
    }

    if (c === LBRACE) {
      p = this.labelsOpenMetrics(p + 1, false);
    } else if (CLASS[c]! & C_MSTART) {
      this.nameS = p;
      p++;
      while (p < n && CLASS[b[p]!]! & C_MCHAR) p++;
      this.nameE = p;
      if (p < n && b[p] === LBRACE) p = this.labelsOpenMetrics(p + 1, false);
    } else {
      throw this.err(p, `expected a valid start token, got ${this.got(p)}`);
    }
    this.seriesEnd = p;
    if (this.nameS < 0) throw this.err(this.start, 'metric name not set');

    // Value: one space, then bytes up to a space or line feed.
    let q = this.omToken(p);
    if (q < 0) throw this.err(p, `expected value after metric, got ${this.got(p)}`);
    this.val = this.parseValue(p + 1, q, 'value');
    p = q;

    if (p >= n) throw this.err(p, 'data does not end with # EOF');
    if (b[p] === NL) {
      this.pos = p + 1;
      return EntryType.Series;
    }
    if (!this.omExemplarStart(p)) {
      q = this.omToken(p);
      if (q < 0) throw this.err(p, `expected timestamp, exemplar or line break, got ${this.got(p)}`);
      this.ts = this.omTimestamp(p + 1, q, 'timestamp');
      this.hasTs = true;
      p = q;
      if (p < n && b[p] === NL) {
        this.pos = p + 1;
        return EntryType.Series;
      }
      if (!this.omExemplarStart(p)) throw this.err(p, `expected next entry after timestamp, got ${this.got(p)}`);
    }

    // Exemplar: ` # {labels} value [timestamp]`.
    p = this.labelsOpenMetrics(p + 4, true);
    q = this.omToken(p);
    if (q < 0) throw this.err(p, `expected value after exemplar labels, got ${this.got(p)}`);
    this.exVal = this.parseValue(p + 1, q, 'exemplar value');
    this.hasEx = true;
    p = q;
    if (p >= n) throw this.err(p, 'data does not end with # EOF');
    if (b[p] !== NL) {
      q = this.omToken(p);
      if (q < 0) throw this.err(p, `expected timestamp or comment, got ${this.got(p)}`);
      this.exTs = this.omTimestamp(p + 1, q, 'exemplar timestamp');
      this.exHasTs = true;
      p = q;
      if (p >= n || b[p] !== NL) throw this.err(p, `expected next entry after exemplar timestamp, got ${this.got(p)}`);
    }
    this.pos = p + 1;
    return EntryType.Series;
  }

  private metadataOpenMetrics(kind: EntryType, p: number): EntryType {
    const b = this.b;
    const n = this.n;
    const what = kind === EntryType.Help ? 'HELP' : kind === EntryType.Type ? 'TYPE' : 'UNIT';
    p = this.metricFamilyName(p, what);
    // Text: one space, then everything up to the line feed, which must be there.
    if (p >= n || b[p] !== SP) throw this.err(p, `expected text in ${what}`);
    const e = b.indexOf(NL, p + 1);
    if (e < 0) throw this.err(p, `expected text in ${what}`);
    this.setText(p + 1, e);
    this.checkMetadataText(kind);
    if (kind === EntryType.Unit) {
      const u = this.txE - this.txS;
      // The unit must be a suffix of the (raw) family name, after an underscore.
      if (u > 0) {
        const m = this.mfE - this.mfS;
        let ok = m >= u + 1 && b[this.mfE - u - 1] === 0x5f;
        for (let i = 0; ok && i < u; i++) ok = b[this.mfE - u + i] === b[this.txS + i];
        if (!ok) throw this.err(this.start, `unit ${JSON.stringify(this.unitText)} not a suffix of metric ${JSON.stringify(this.metricFamily())}`);
      }
    }
    this.pos = e + 1;
    return kind;
  }

  // Labels between braces; p is just after `{`. Returns the position after `}`.
  private labelsOpenMetrics(p: number, exemplar: boolean): number {
    const b = this.b;
    const n = this.n;
    for (;;) {
      if (p >= n) throw this.err(p, `expected label name, got ${this.got(p)}`);
      let c = b[p]!;
      if (c === RBRACE) return p + 1;
      const tokS = p;
      let ns: number;
      let ne: number;
      let nf = 0;
      let quoted = false;
      if (CLASS[c]! & C_LSTART) {
        ns = p;
        p++;
        while (p < n && CLASS[b[p]!]! & C_LCHAR) p++;
        ne = p;
      } else if (c === QUOTE) {
        const q = this.scanQuoted(p, !exemplar, false);
        if (q < 0) throw this.err(p, `expected label name, got ${this.got(p)}`);
        ns = p + 1;
        ne = q - 1;
        nf = this.qFlags;
        quoted = true;
        p = q;
      } else {
        throw this.err(p, `expected label name, got ${this.got(p)}`);
      }
      c = p < n ? b[p]! : -1;
      if (quoted && (c === COMMA || c === RBRACE)) {
        // A lone quoted string is the metric name (not allowed in exemplars).
        if (exemplar) throw this.err(p, `expected label name, got ${this.got(p)}`);
        if (this.nameS >= 0) throw this.err(tokS, 'metric name already set');
        this.checkNameUtf8(ns, ne, nf, 'metric name');
        this.nameS = ns;
        this.nameE = ne;
        this.nameF = nf;
        if (c === RBRACE) return p + 1;
        p++;
        continue;
      }
      if (quoted) this.checkNameUtf8(ns, ne, nf, 'label name');
      if (c !== EQ) throw this.err(p, `expected equal, got ${this.got(p)}`);
      p++;
      // Label values may not span lines; NUL bytes inside are kept (not in exemplars).
      if (p >= n || b[p] !== QUOTE) throw this.err(p, `expected label value, got ${this.got(p)}`);
      const q = this.scanQuoted(p, false, !exemplar);
      if (q < 0) throw this.err(p, `expected label value, got ${this.got(p)}`);
      if (this.qFlags & F_HI && !validUtf8(b, p + 1, q - 1)) throw this.err(p, 'invalid UTF-8 label value');
      this.pushLabel(exemplar, ns, ne, nf, p + 1, q - 1, this.qFlags);
      p = q;
      if (!exemplar) while (p < n && b[p] === NUL) p++;
      c = p < n ? b[p]! : -1;
      if (c === COMMA) p++;
      else if (c !== RBRACE) throw this.err(p, `expected comma or brace close, got ${this.got(p)}`);
    }
  }

  // A token ` xxx` (one space, then bytes other than space, line feed, NUL); returns its end or -1.
  private omToken(p: number): number {
    const b = this.b;
    const n = this.n;
    if (p >= n || b[p] !== SP) return -1;
    let q = p + 1;
    while (q < n && CLASS[b[q]!]! & C_OMVAL) q++;
    return q === p + 1 ? -1 : q;
  }

  private omExemplarStart(p: number): boolean {
    const b = this.b;
    return p + 3 < this.n && b[p] === SP && b[p + 1] === HASH && b[p + 2] === SP && b[p + 3] === LBRACE;
  }

  private omTimestamp(s: number, e: number, what: string): number {
    const f = parseFloatBytes(this.b, s, e);
    if (lastFloatError !== FloatError.None) throw this.err(s, `parsing ${what} ${this.quote(s, e)}: ${floatErrorText(lastFloatError)}`);
    if (f !== f || f === Infinity || f === -Infinity) throw this.err(s, `invalid ${what} ${this.quote(s, e)}`);
    let ms = this.exactTs ? exactMillis(this.b, s, e) : undefined;
    // Prometheus: int64(ts * 1000), truncating toward zero.
    if (ms === undefined) ms = Math.trunc(f * 1000);
    if (!(ms >= -MAX_MS && ms <= MAX_MS)) throw this.err(s, `${what} ${this.quote(s, e)} out of range`);
    return ms + 0; // no -0
  }

  // ---- Prometheus text format ----

  private nextPrometheus(): EntryType | undefined {
    const b = this.b;
    const n = this.n;
    let p = this.pos;
    // Blank lines and leading blanks are allowed. The input always ends with a line feed.
    for (;;) {
      while (p < n && (b[p] === SP || b[p] === TAB)) p++;
      if (p >= n) break;
      const c = b[p]!;
      if (c === NL) {
        p++;
        continue;
      }
      // The lexer reads a NUL at the start of a token as end of input.
      if (c === NUL) break;
      this.start = p;
      this.resetSeries();
      if (c === HASH) return this.commentPrometheus(p);
      return this.seriesPrometheus(p);
    }
    this.pos = n;
    this.done = true;
    return undefined;
  }

  private commentPrometheus(p: number): EntryType {
    const b = this.b;
    let q = p + 1;
    if (b[q] === SP || b[q] === TAB) {
      while (b[q] === SP || b[q] === TAB) q++;
      let kind: EntryType | undefined;
      if (this.matchWord(q, 'HELP')) kind = EntryType.Help;
      else if (this.matchWord(q, 'TYPE')) kind = EntryType.Type;
      if (kind !== undefined && (b[q + 4] === SP || b[q + 4] === TAB)) {
        q += 5;
        while (b[q] === SP || b[q] === TAB) q++;
        return this.metadataPrometheus(kind, q);
      }
    }
    // Any other line starting with # is a comment.
    const e = b.indexOf(NL, p);
    this.setText(p, e);
    this.pos = e + 1;
    return EntryType.Comment;
  }

  private metadataPrometheus(kind: EntryType, p: number): EntryType {
    const b = this.b;
    p = this.metricFamilyName(p, kind === EntryType.Help ? 'HELP' : 'TYPE');
    if (b[p] === NUL) throw this.err(p, 'linebreak expected after metadata');
    const e = b.indexOf(NL, p);
    // The text is the rest of the line minus its first byte (normally the separating blank);
    // blanks alone make an empty text.
    let blank = true;
    for (let i = p; i < e; i++) {
      if (b[i] !== SP && b[i] !== TAB) {
        blank = false;
        break;
      }
    }
    if (blank || e - p <= 1) this.setText(e, e);
    else this.setText(p + 1, e);
    this.checkMetadataText(kind);
    this.pos = e + 1;
    return kind;
  }

  private seriesPrometheus(p: number): EntryType {
    const b = this.b;
    const c = b[p]!;
    if (c === LBRACE) {
      p = this.labelsPrometheus(p + 1);
      this.seriesEnd = p;
    } else if (CLASS[c]! & C_MSTART) {
      this.nameS = p;
      p++;
      while (CLASS[b[p]!]! & C_MCHAR) p++;
      this.nameE = p;
      this.seriesEnd = p;
      while (b[p] === SP || b[p] === TAB) p++;
      if (b[p] === LBRACE) {
        p = this.labelsPrometheus(p + 1);
        this.seriesEnd = p;
      }
    } else {
      throw this.err(p, `expected a valid start token, got ${this.got(p)}`);
    }
    while (b[p] === SP || b[p] === TAB) p++;
    if (this.nameS < 0) throw this.err(this.start, 'metric name not set');

    let q = p;
    while (CLASS[b[q]!]! & C_PVAL) q++;
    if (q === p) throw this.err(p, `expected value after metric, got ${this.got(p)}`);
    this.val = this.parseValue(p, q, 'value');
    p = q;
    while (b[p] === SP || b[p] === TAB) p++;
    if (b[p] === NL) {
      this.pos = p + 1;
      return EntryType.Series;
    }
    if (!(CLASS[b[p]!]! & C_DIGIT)) throw this.err(p, `expected timestamp or new record, got ${this.got(p)}`);
    q = p;
    while (CLASS[b[q]!]! & C_DIGIT) q++;
    this.ts = this.promTimestamp(p, q);
    this.hasTs = true;
    p = q;
    while (b[p] === SP || b[p] === TAB) p++;
    if (b[p] !== NL) throw this.err(p, `expected next entry after timestamp, got ${this.got(p)}`);
    this.pos = p + 1;
    return EntryType.Series;
  }

  // Labels between braces; blanks allowed between tokens, commas optional between pairs.
  private labelsPrometheus(p: number): number {
    const b = this.b;
    const n = this.n;
    let c: number;
    for (;;) {
      while (p < n && (b[p] === SP || b[p] === TAB)) p++;
      if (p >= n) throw this.err(p, `expected label name, got ${this.got(p)}`);
      c = b[p]!;
      if (c === RBRACE) return p + 1;
      const tokS = p;
      let ns: number;
      let ne: number;
      let nf = 0;
      let quoted = false;
      if (CLASS[c]! & C_LSTART) {
        ns = p;
        p++;
        while (p < n && CLASS[b[p]!]! & C_LCHAR) p++;
        ne = p;
      } else if (c === QUOTE) {
        const q = this.scanQuoted(p, true, false);
        if (q < 0) throw this.err(p, `expected label name, got ${this.got(p)}`);
        ns = p + 1;
        ne = q - 1;
        nf = this.qFlags;
        quoted = true;
        p = q;
      } else {
        throw this.err(p, `expected label name, got ${this.got(p)}`);
      }
      while (p < n && (b[p] === SP || b[p] === TAB)) p++;
      c = p < n ? b[p]! : -1;
      if (quoted && (c === COMMA || c === RBRACE)) {
        if (this.nameS >= 0) throw this.err(tokS, 'metric name already set');
        this.checkNameUtf8(ns, ne, nf, 'metric name');
        this.nameS = ns;
        this.nameE = ne;
        this.nameF = nf;
        if (c === RBRACE) return p + 1;
        p++;
        continue;
      }
      if (quoted) this.checkNameUtf8(ns, ne, nf, 'label name');
      if (c !== EQ) throw this.err(p, `expected equal, got ${this.got(p)}`);
      p++;
      while (p < n && (b[p] === SP || b[p] === TAB)) p++;
      // Label values may span lines in this format; NUL bytes inside are kept.
      if (p >= n || b[p] !== QUOTE) throw this.err(p, `expected label value, got ${this.got(p)}`);
      const q = this.scanQuoted(p, true, true);
      if (q < 0) throw this.err(p, `expected label value, got ${this.got(p)}`);
      if (this.qFlags & F_HI && !validUtf8(b, p + 1, q - 1)) throw this.err(p, 'invalid UTF-8 label value');
      this.pushLabel(false, ns, ne, nf, p + 1, q - 1, this.qFlags);
      p = q;
      while (p < n && b[p] === NUL) p++;
      while (p < n && (b[p] === SP || b[p] === TAB)) p++;
      if (p < n && b[p] === COMMA) p++;
    }
  }

  private promTimestamp(s: number, e: number): number {
    // Go's ParseInt(…, 10, 64) bounds, then ours: milliseconds must be exact in a double.
    if (e - s > 19 || (e - s === 19 && this.b.latin1Slice(s, e) > '9223372036854775807')) {
      throw this.err(s, `parsing timestamp ${this.quote(s, e)}: value out of range`);
    }
    let v = 0;
    for (let i = s; i < e; i++) v = v * 10 + (this.b[i]! - 0x30);
    if (v > MAX_MS) throw this.err(s, `timestamp ${this.quote(s, e)} out of range`);
    return v;
  }

  // ---- Shared ----

  private resetSeries(): void {
    this.nameS = -1;
    this.nameE = -1;
    this.nameF = 0;
    this.nLbl = 0;
    this.hasTs = false;
    this.hasEx = false;
    this.nExLbl = 0;
    this.exHasTs = false;
  }

  // Family name after HELP/TYPE/UNIT: plain or quoted. Returns the position after it.
  private metricFamilyName(p: number, what: string): number {
    const b = this.b;
    const n = this.n;
    if (p < n && b[p] === QUOTE) {
      // Quoted names may span lines here, as in both lexers.
      const q = this.scanQuoted(p, true, false);
      if (q < 0) throw this.err(p, `expected metric name after ${what}, got ${this.got(p)}`);
      this.mfS = p + 1;
      this.mfE = q - 1;
      this.mfF = this.qFlags;
      this.checkNameUtf8(this.mfS, this.mfE, this.mfF, 'metric name');
      return q;
    }
    if (p >= n || !(CLASS[b[p]!]! & C_MSTART)) throw this.err(p, `expected metric name after ${what}, got ${this.got(p)}`);
    this.mfS = p;
    p++;
    while (p < n && CLASS[b[p]!]! & C_MCHAR) p++;
    this.mfE = p;
    this.mfF = 0;
    return p;
  }

  private setText(s: number, e: number): void {
    const b = this.b;
    let f = 0;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === BSLASH) f |= F_ESC;
      else if (c >= 0x80) f |= F_HI;
    }
    this.txS = s;
    this.txE = e;
    this.txF = f;
  }

  private checkMetadataText(kind: EntryType): void {
    if (kind === EntryType.Type) {
      const s = this.b.latin1Slice(this.txS, this.txE);
      const t = (this.om ? TYPES_OM : TYPES_PROM).get(s);
      if (t === undefined) throw this.err(this.start, `invalid metric type ${JSON.stringify(this.decodeLossy(this.txS, this.txE))}`);
      this.mtype = t;
    } else if (kind === EntryType.Help) {
      if (this.txF & F_HI && !validUtf8(this.b, this.txS, this.txE)) throw this.err(this.start, 'help text is not valid UTF-8');
    } else if (kind === EntryType.Unit) {
      if (this.txF & F_HI && !validUtf8(this.b, this.txS, this.txE)) throw this.err(this.start, 'unit is not valid UTF-8');
      this.unitText = this.decodeRaw(this.txS, this.txE, this.txF);
    }
  }

  private checkNameUtf8(s: number, e: number, f: number, what: string): void {
    if (f & F_HI && !validUtf8(this.b, s, e)) throw this.err(s, `invalid UTF-8 ${what}`);
  }

  /**
   * Scans `"..."` from p (at the opening quote): `\` escapes any byte but a line feed or NUL.
   * Returns the position after the closing quote, or -1. Sets qFlags.
   */
  private scanQuoted(p: number, allowNewline: boolean, keepNul: boolean): number {
    const b = this.b;
    const n = this.n;
    let f = 0;
    let i = p + 1;
    while (i < n) {
      const c = b[i]!;
      if (c === QUOTE) {
        this.qFlags = f;
        return i + 1;
      }
      if (c === BSLASH) {
        f |= F_ESC;
        i++;
        if (keepNul) while (i < n && b[i] === NUL) i++;
        if (i >= n) return -1;
        const d = b[i]!;
        if (d === NL || d === NUL) return -1;
        if (d >= 0x80) f |= F_HI;
      } else if (c === NL) {
        if (!allowNewline) return -1;
      } else if (c === NUL) {
        if (!keepNul) return -1;
      } else if (c >= 0x80) {
        f |= F_HI;
      }
      i++;
    }
    return -1;
  }

  private pushLabel(exemplar: boolean, ns: number, ne: number, nf: number, vs: number, ve: number, vf: number): void {
    let arr = exemplar ? this.exLbl : this.lbl;
    const count = exemplar ? this.nExLbl : this.nLbl;
    let o = count * STRIDE;
    if (o + STRIDE > arr.length) {
      const grown = new Int32Array(arr.length * 2);
      grown.set(arr);
      arr = grown;
      if (exemplar) this.exLbl = grown;
      else this.lbl = grown;
    }
    arr[o++] = ns;
    arr[o++] = ne;
    arr[o++] = nf;
    arr[o++] = vs;
    arr[o++] = ve;
    arr[o] = vf;
    if (exemplar) this.nExLbl = count + 1;
    else this.nLbl = count + 1;
  }

  private parseValue(s: number, e: number, what: string): number {
    const v = parseFloatBytes(this.b, s, e);
    if (lastFloatError !== FloatError.None) throw this.err(s, `parsing ${what} ${this.quote(s, e)}: ${floatErrorText(lastFloatError)}`);
    // Like Prometheus, every NaN read is value.NormalNaN (never the stale marker).
    return v === v ? v : NORMAL_NAN;
  }

  private matchWord(p: number, w: string): boolean {
    const b = this.b;
    if (p + w.length > this.n) return false;
    for (let i = 0; i < w.length; i++) if (b[p + i] !== w.charCodeAt(i)) return false;
    return true;
  }

  // Decodes a name or label value span, unescaping \\, \" and \n.
  private decode(s: number, e: number, f: number): string {
    if (f === 0) return e - s <= INTERN_MAX_LEN ? this.intern(s, e) : this.b.latin1Slice(s, e);
    const raw = f & F_HI ? this.b.utf8Slice(s, e) : this.b.latin1Slice(s, e);
    return f & F_ESC ? unescapeLabelValue(raw) : raw;
  }

  // Label names and values repeat across series and scrapes: reuse the string when the bytes match.
  private intern(s: number, e: number): string {
    const b = this.b;
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & INTERN_MASK;
    const cached = internTable[slot];
    if (cached !== undefined && cached.length === e - s) {
      let i = 0;
      while (i < cached.length && cached.charCodeAt(i) === b[s + i]) i++;
      if (i === cached.length) return cached;
    }
    const str = b.latin1Slice(s, e);
    internTable[slot] = str;
    return str;
  }

  private decodeRaw(s: number, e: number, f: number): string {
    return f & F_HI ? this.b.utf8Slice(s, e) : this.b.latin1Slice(s, e);
  }

  private decodeLossy(s: number, e: number): string {
    return this.b.toString('utf8', s, e);
  }

  // Sorts the first k scratch pairs by name and builds Labels, dropping empty values.
  private buildLabels(k: number): Labels {
    const names = this.sNames;
    const values = this.sValues;
    // Insertion sort: label sets are small and usually nearly sorted already.
    for (let i = 1; i < k; i++) {
      const xn = names[i]!;
      const xv = values[i]!;
      let j = i - 1;
      while (j >= 0 && compareStrings(names[j]!, xn) > 0) {
        names[j + 1] = names[j]!;
        values[j + 1] = values[j]!;
        j--;
      }
      names[j + 1] = xn;
      values[j + 1] = xv;
    }
    const flat: string[] = [];
    for (let i = 0; i < k; i++) {
      if (i > 0 && names[i] === names[i - 1]) throw this.err(this.start, `duplicate label name ${JSON.stringify(names[i])}`);
      if (values[i] !== '') flat.push(names[i]!, values[i]!);
    }
    return Labels.fromSortedFlat(flat);
  }

  private lineAt(pos: number): number {
    if (pos < this.linePos) {
      this.linePos = 0;
      this.lineNo = 1;
    }
    const b = this.b;
    let i = this.linePos;
    let line = this.lineNo;
    for (;;) {
      const j = b.indexOf(NL, i);
      if (j < 0 || j >= pos) break;
      line++;
      i = j + 1;
    }
    this.linePos = i;
    this.lineNo = line;
    return line;
  }

  private err(pos: number, reason: string): ParseError {
    return new ParseError(this.lineAt(Math.min(pos, this.n)), reason);
  }

  // The offending token for error messages.
  private got(p: number): string {
    if (p >= this.n) return 'end of input';
    const b = this.b;
    let e = p;
    while (e < this.n && e - p < 32 && !isDelimiter(b[e]!)) e++;
    return this.quote(p, e === p ? p + 1 : e);
  }

  private quote(s: number, e: number): string {
    return JSON.stringify(this.decodeLossy(s, Math.min(e, s + 64)));
  }
}

function isDelimiter(c: number): boolean {
  return c === SP || c === TAB || c === NL || c === LBRACE || c === RBRACE || c === COMMA || c === EQ || c === QUOTE || c === HASH;
}

/** Undoes the escapes of label values: `\\`, `\"`, `\n`; other backslashes stay. */
function unescapeLabelValue(s: string): string {
  return s.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

// Prometheus 3 rewrites le/quantile values that parse as floats in OpenMetrics form ("1" -> "1.0").
// Bucket bounds and quantiles come from a small set, so results are cached.
const normalized = new Map<string, string>();

function normalizeFloatLabel(v: string): string {
  let out = normalized.get(v);
  if (out === undefined) {
    const f = parseFloatString(v, false);
    out = lastFloatError === FloatError.None ? formatOpenMetricsFloat(f) : v;
    if (normalized.size >= 4096) normalized.clear();
    normalized.set(v, out);
  }
  return out;
}

// Exact milliseconds of a plain decimal `[+-]digits[.digits]`, truncated below the millisecond;
// undefined for other forms (exponents) or too many digits, which take the float path.
function exactMillis(b: Uint8Array, s: number, e: number): number | undefined {
  let i = s;
  let neg = false;
  if (b[i] === 0x2b || b[i] === 0x2d) {
    neg = b[i] === 0x2d;
    i++;
  }
  let ip = 0;
  let nd = 0;
  while (i < e && b[i]! >= 0x30 && b[i]! <= 0x39) {
    ip = ip * 10 + (b[i]! - 0x30);
    if (++nd > 15) return undefined;
    i++;
  }
  let frac = 0;
  let fd = 0;
  if (i < e && b[i] === 0x2e) {
    i++;
    while (i < e && b[i]! >= 0x30 && b[i]! <= 0x39) {
      if (fd < 3) {
        frac = frac * 10 + (b[i]! - 0x30);
        fd++;
      }
      nd++;
      i++;
    }
  }
  if (i !== e || nd === 0) return undefined;
  for (; fd < 3; fd++) frac *= 10;
  const ms = ip * 1000 + frac;
  return neg ? -ms : ms;
}

