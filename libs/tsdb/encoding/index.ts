export { crc32c } from './crc32c.ts';
export { Encbuf, Decbuf, DecodeError } from './encbuf.ts';
