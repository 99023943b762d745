// Snappy block *compression* for the remote-write client of the PromQL bench: literal-only blocks
// are valid snappy, and on loopback the bytes saved by real matching are not worth the code.

/** Encodes `src` as one snappy block: the uvarint length, then literals of at most 64 KiB. */
export function snappyEncode(src: Uint8Array): Uint8Array {
  const maxLiteral = 65_536;
  const literals = Math.ceil(src.length / maxLiteral);
  const out = new Uint8Array(5 + literals * 3 + src.length);
  let o = 0;
  for (let n = src.length; ; ) {
    if (n < 0x80) {
      out[o++] = n;
      break;
    }
    out[o++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  for (let i = 0; i < src.length; i += maxLiteral) {
    const len = Math.min(maxLiteral, src.length - i);
    const l = len - 1;
    // Tag byte: low two bits 00 (literal); 0..59 is the length - 1 itself, 60/61 say it follows in 1/2 bytes.
    if (l < 60) {
      out[o++] = l << 2;
    } else if (l < 256) {
      out[o++] = 60 << 2;
      out[o++] = l;
    } else {
      out[o++] = 61 << 2;
      out[o++] = l & 0xff;
      out[o++] = l >>> 8;
    }
    out.set(src.subarray(i, i + len), o);
    o += len;
  }
  return out.subarray(0, o);
}
