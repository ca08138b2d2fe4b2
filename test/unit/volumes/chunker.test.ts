/**
 * The content-defined chunker: deterministic cuts inside [min, max], chunk sizes near the average,
 * and cut points that follow the content (an insertion near the start leaves the later chunks as
 * they were, which is what makes a 1% change store about 1%).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Chunker, DEFAULT_CHUNKER } from '../../../src/core/chunker.js';

const MiB = 1024 * 1024;

function chunks(buf: Buffer, lengths: number[]): string[] {
  let off = 0;
  return lengths.map((n) => createHash('sha256').update(buf.subarray(off, (off += n))).digest('hex'));
}

test('cuts are deterministic and every chunk but the last is within [min, max]', () => {
  const data = randomBytes(40 * MiB);
  const c = new Chunker();
  const a = c.split(data);
  assert.deepEqual(new Chunker().split(data), a);
  assert.equal(a.reduce((x, y) => x + y, 0), data.length);
  for (const n of a.slice(0, -1)) assert.ok(n >= DEFAULT_CHUNKER.min && n <= DEFAULT_CHUNKER.max, String(n));
  const avg = data.length / a.length;
  assert.ok(avg > 0.9 * DEFAULT_CHUNKER.avg && avg < 1.5 * DEFAULT_CHUNKER.avg, `average chunk ${avg} bytes`);
});

test('an insertion moves only the chunks around it', () => {
  const data = randomBytes(32 * MiB);
  const changed = Buffer.concat([data.subarray(0, 5 * MiB), Buffer.from('inserted bytes'), data.subarray(5 * MiB)]);
  const c = new Chunker();
  const before = new Set(chunks(data, c.split(data)));
  const after = chunks(changed, c.split(changed));
  const fresh = after.filter((h) => !before.has(h)).length;
  assert.ok(fresh <= 3, `${fresh} of ${after.length} chunks changed`);
});

/** Deterministic incompressible bytes (xorshift32), so the test sees the same files every run. */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed | 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, i);
  }
  return out;
}

test('a 4 KiB write into a big file stores about one average chunk, not more', () => {
  const c = new Chunker();
  let added = 0;
  const trials = 12;
  for (let t = 0; t < trials; t++) {
    const a = noise(16 * MiB, 100 + t);
    const b = Buffer.from(a);
    noise(4096, 900 + t).copy(b, Math.floor(a.length / 3) + t * 7919);
    const before = new Set(chunks(a, c.split(a)));
    const lengths = c.split(b);
    chunks(b, lengths).forEach((h, i) => (added += before.has(h) ? 0 : lengths[i]!));
  }
  const perEdit = added / trials;
  // 1.25 MiB per edit with the 256 KiB / 1 MiB / 4 MiB chunker used before.
  assert.ok(perEdit < 0.9 * MiB, `a 4 KiB write stored ${(perEdit / MiB).toFixed(2)} MiB of new chunks on average`);
});

test('input shorter than min is one chunk; empty input is none; zeros cut at max', () => {
  const c = new Chunker();
  assert.deepEqual(c.split(Buffer.from('small')), [5]);
  assert.deepEqual(c.split(Buffer.alloc(0)), []);
  const z = c.split(Buffer.alloc(10 * MiB));
  assert.ok(z.every((n, i) => i === z.length - 1 || n === DEFAULT_CHUNKER.max || n === DEFAULT_CHUNKER.min), z.join(','));
});

test('cut() asks for more data rather than cutting early', () => {
  const c = new Chunker();
  const buf = randomBytes(DEFAULT_CHUNKER.min - 1);
  assert.equal(c.cut(buf, 0, buf.length, false), 0);
  assert.equal(c.cut(buf, 0, buf.length, true), buf.length);
});

test('sizes are validated', () => {
  assert.throws(() => new Chunker({ min: 10, avg: 5, max: 20 }), RangeError);
  assert.throws(() => new Chunker({ min: 1, avg: 1000, max: 2000 }), RangeError);
});
