// Errors of the remote-write codecs. Every failure of snappy or protobuf decoding is a
// RemoteWriteError with a stable code and a category the HTTP edge maps to a status.

export const RemoteWriteErrorCode = {
  /** The snappy block is malformed (bad tag, copy before the start, length mismatch, …). */
  SnappyCorrupt: 'snappy_corrupt',
  /** The snappy block declares more bytes than the caller allows. */
  SnappyTooLarge: 'snappy_too_large',
  /** The protobuf ends inside a field (a tag, varint, fixed value or length-delimited field). */
  ProtoTruncated: 'proto_truncated',
  /** A field's wire type is invalid (6, 7) or not the one its field number requires. */
  ProtoBadWireType: 'proto_bad_wire_type',
  /** A varint is longer than 10 bytes. */
  ProtoVarintOverflow: 'proto_varint_overflow',
  /** A length-delimited field runs past the end of the message that holds it. */
  ProtoLengthOverrun: 'proto_length_overrun',
  /** A field number of 0, a mismatched end-group, or groups nested too deeply. */
  ProtoInvalidField: 'proto_invalid_field',
} as const;
export type RemoteWriteErrorCode = (typeof RemoteWriteErrorCode)[keyof typeof RemoteWriteErrorCode];

/** How the edge answers: 400 for bad data (never retried), 413 for too large. */
export const RemoteWriteErrorCategory = {
  BadData: 'bad_data',
  TooLarge: 'too_large',
} as const;
export type RemoteWriteErrorCategory = (typeof RemoteWriteErrorCategory)[keyof typeof RemoteWriteErrorCategory];

export class RemoteWriteError extends Error {
  override readonly name: string = 'RemoteWriteError';

  constructor(
    readonly code: RemoteWriteErrorCode,
    message: string,
    /** Byte offset in the input (compressed bytes for snappy, protobuf bytes otherwise) where decoding failed. */
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get category(): RemoteWriteErrorCategory {
    return this.code === RemoteWriteErrorCode.SnappyTooLarge ? RemoteWriteErrorCategory.TooLarge : RemoteWriteErrorCategory.BadData;
  }
}

/** A snappy block that cannot be decoded, or is larger than allowed. */
export class SnappyError extends RemoteWriteError {
  override readonly name = 'SnappyError';
}

/** A protobuf WriteRequest that cannot be decoded. `field` names the field being read, e.g. `prometheus.Sample.timestamp`. */
export class ProtoDecodeError extends RemoteWriteError {
  override readonly name = 'ProtoDecodeError';

  constructor(
    code: RemoteWriteErrorCode,
    readonly field: string,
    reason: string,
    offset: number,
  ) {
    super(code, `${field}: ${reason} at offset ${offset}`, offset);
  }
}
