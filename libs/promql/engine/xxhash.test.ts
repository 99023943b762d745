// XXH64 against the reference test vectors, and the label hash limit_ratio relies on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Labels } from '../../model/index.ts';
import { prometheusLabelsHash, xxhash64 } from './xxhash.ts';

const enc = new TextEncoder();

describe('xxhash64', () => {
  it('matches the reference vectors', () => {
    assert.equal(xxhash64(enc.encode('')), 0xef46db3751d8e999n);
    assert.equal(xxhash64(enc.encode('a')), 0xd24ec4f1a98c6e5bn);
    assert.equal(xxhash64(enc.encode('abc')), 0x44bc2cf5ad770999n);
    assert.equal(xxhash64(enc.encode('Nobody inspects the spammish repetition')), 0xfbcea83c8a378bf1n);
  });
});

describe('prometheusLabelsHash', () => {
  it('hashes the length-prefixed names and values', () => {
    const ls = Labels.fromStrings('a', 'bc');
    assert.equal(prometheusLabelsHash(ls), xxhash64(Uint8Array.of(1, 0x61, 2, 0x62, 0x63)));
    const long = 'x'.repeat(300);
    const bytes = new Uint8Array(2 + 4 + 300);
    bytes.set([1, 0x6e, 255, 300 & 0xff, 300 >> 8, 0], 0);
    bytes.fill(0x78, 6);
    assert.equal(prometheusLabelsHash(Labels.fromStrings('n', long)), xxhash64(bytes));
  });
});
