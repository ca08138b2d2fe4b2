/** Layer compression: sniffing, round trips, and the corrupt-stream cases of formats.md F.38–F.40. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, type Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CompressStream, compress as zstdCompress } from 'zstd-napi';
import { autoDecompress, compressor, decompressor, sniffCompression } from '../../../src/diff/compression.js';

async function through(stream: Duplex, input: Buffer, chunk = 65536): Promise<Buffer> {
  const out: Buffer[] = [];
  const done = (async () => {
    for await (const c of stream) out.push(c as Buffer);
  })();
  for (let off = 0; off < input.length; off += chunk) {
    if (!stream.write(input.subarray(off, off + chunk))) await new Promise((r) => stream.once('drain', r));
  }
  stream.end();
  await done;
  return Buffer.concat(out);
}

function flip(b: Buffer, at: number, mask: number): void {
  b.writeUInt8(b.readUInt8(at) ^ mask, at);
}

const sample = Buffer.concat([randomBytes(300_000), Buffer.alloc(700_000, 'a')]);

test('sniffCompression tells gzip, zstd and plain data apart', () => {
  assert.equal(sniffCompression(gzipSync(Buffer.from('x'))), 'gzip');
  assert.equal(sniffCompression(zstdCompress(Buffer.from('x'))), 'zstd');
  assert.equal(sniffCompression(Buffer.from('ustar and friends')), 'none');
  assert.equal(sniffCompression(Buffer.from([0x1f])), 'none', 'one byte is not enough to say gzip');
  assert.equal(sniffCompression(Buffer.alloc(0)), 'none');
});

for (const c of ['none', 'gzip', 'zstd'] as const) {
  test(`${c}: compressor output decompresses to the same bytes`, async () => {
    const packed = await through(compressor(c), sample);
    if (c !== 'none') assert.ok(packed.length < sample.length, 'compressible data got smaller');
    assert.equal(sniffCompression(packed), c === 'none' ? 'none' : c);
    assert.deepEqual(await through(decompressor(c), packed, 1000), sample);
  });
}

test('gunzip reads concatenated gzip members as one stream (pigz output)', async () => {
  const out = await through(decompressor('gzip'), Buffer.concat([gzipSync('hello '), gzipSync('world')]));
  assert.equal(out.toString(), 'hello world');
});

test('gunzip refuses a truncated stream', async () => {
  const gz = gzipSync(sample);
  await assert.rejects(through(decompressor('gzip'), gz.subarray(0, gz.length - 5)), /corrupt gzip stream.*unexpected end/);
});

test('gunzip refuses a bad CRC', async () => {
  const gz = gzipSync(sample);
  flip(gz, gz.length - 6, 0xff); // inside the CRC32 of the trailer
  await assert.rejects(through(decompressor('gzip'), gz), (e: Error & { code?: string }) => e.code === 'BAD_COMPRESSION' && /incorrect data check/.test(e.message));
});

test('gunzip refuses a bad ISIZE', async () => {
  const gz = gzipSync(sample);
  flip(gz, gz.length - 2, 0x01); // inside ISIZE
  await assert.rejects(through(decompressor('gzip'), gz), /incorrect length check/);
});

test('gunzip refuses non-gzip trailing garbage', async () => {
  await assert.rejects(through(decompressor('gzip'), Buffer.concat([gzipSync('x'), Buffer.from('garbage!')])), /corrupt gzip stream/);
});

test('gunzip refuses trailing zero bytes that zlib alone would ignore', async () => {
  await assert.rejects(through(decompressor('gzip'), Buffer.concat([gzipSync('x'), Buffer.alloc(64)])), /64 bytes of trailing data/);
});

test('zstd refuses a truncated frame', async () => {
  const z = zstdCompress(sample);
  await assert.rejects(through(decompressor('zstd'), z.subarray(0, z.length - 10)), /corrupt zstd stream.*truncated/);
});

test('zstd refuses trailing garbage after the frame', async () => {
  await assert.rejects(through(decompressor('zstd'), Buffer.concat([zstdCompress(Buffer.from('x')), Buffer.alloc(16)])), /corrupt zstd stream/);
});

for (const c of ['gzip', 'zstd'] as const) {
  test(`${c} decompression bomb: output is buffered by backpressure, not all at once`, async () => {
    const bomb = c === 'gzip' ? gzipSync(Buffer.alloc(256 * 1024 * 1024)) : zstdCompress(Buffer.alloc(256 * 1024 * 1024));
    const d = decompressor(c);
    d.write(bomb); // the whole bomb in one write, and nobody reading
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(d.readableLength < 4 * 1024 * 1024, `only ${d.readableLength} bytes may wait in memory`);
    let total = 0;
    d.end();
    for await (const chunk of d) total += (chunk as Buffer).length;
    assert.equal(total, 256 * 1024 * 1024);
  });
}

test('autoDecompress sniffs the magic without losing bytes, even when it arrives in 1-byte chunks', async () => {
  for (const [c, packed] of [['gzip', gzipSync(sample)], ['zstd', zstdCompress(sample)], ['none', sample]] as const) {
    const pieces = [packed.subarray(0, 1), packed.subarray(1, 2), packed.subarray(2, 3), packed.subarray(3)];
    const { compression, stream } = await autoDecompress(Readable.from(pieces, { objectMode: false }));
    assert.equal(compression, c);
    const out: Buffer[] = [];
    for await (const chunk of stream) out.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(out), sample);
  }
});

test('autoDecompress on an empty stream gives an empty plain stream', async () => {
  const { compression, stream } = await autoDecompress(Readable.from([], { objectMode: false }));
  assert.equal(compression, 'none');
  assert.equal(await text(stream), '');
});

test('autoDecompress passes a source error to the consumer', async () => {
  const source = new Readable({ read() {} });
  source.push(gzipSync('hello'));
  const { stream } = await autoDecompress(source);
  setImmediate(() => source.destroy(new Error('disk on fire')));
  await assert.rejects(text(stream), /disk on fire/);
});

test('zstd output does not depend on the machine: compressor() gives the bytes of one zstd worker, and of four', async () => {
  // > 16 MiB so several zstd jobs run at once; text and random data both
  const data = Buffer.concat([Buffer.from('lifeboat '.repeat(1_200_000)), randomBytes(8 << 20), Buffer.from('backup '.repeat(600_000))]);
  const ours = await through(compressor('zstd'), data, 1 << 20);
  assert.ok(ours.equals(await through(new CompressStream({ nbWorkers: 1, jobSize: 2 << 20 }), data, 1 << 20)), 'as one worker');
  assert.ok(ours.equals(await through(new CompressStream({ nbWorkers: 4, jobSize: 2 << 20 }), data, 1 << 20)), 'as four');
  assert.ok((await through(decompressor('zstd'), ours, 1 << 20)).equals(data));
});
