/**
 * `repo check --read-data` for one pack: one sequential read of the whole file that re-hashes it
 * (its name is its sha256), cuts it into the blobs its trailer lists and decodes and verifies each
 * one (small blobs in memory, big ones streamed through the zstd decoder), and compares the trailer
 * with what the index says about the pack. Returns the problems found; never throws for bad data,
 * only for a backend that cannot be read at all (unreachable, auth).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { digestOfHex, type Digest } from '../core/digest.js';
import { ExitCode, LifeboatError } from '../core/errors.js';
import type { Backend } from './backend.js';
import { decodeBlob, decodeStream } from './blob-encoding.js';
import type { PackEntry } from '../core/pack-format.js';
import { fitsInMemory, readPackTrailer } from './pack-reader.js';
import { packName } from './repo-layout.js';

function fatal(err: unknown): boolean {
  return err instanceof LifeboatError && (err.exitCode === ExitCode.UNREACHABLE || err.exitCode === ExitCode.AUTH);
}

/** Verifies pack `id` of `size` bytes; `indexed` is what the index says it holds. */
export async function verifyPack(backend: Backend, id: Digest, size: number, indexed: readonly PackEntry[], onBytes: (n: number) => void = () => {}): Promise<string[]> {
  const problems: string[] = [];
  let trailer: PackEntry[];
  try {
    trailer = await readPackTrailer(backend, id, size);
  } catch (err) {
    if (fatal(err)) throw err;
    return [`pack ${id}: ${(err as Error).message}`];
  }
  const byDigest = new Map(trailer.map((e) => [e.digest, e]));
  for (const e of indexed) {
    const t = byDigest.get(e.digest);
    if (!t) problems.push(`pack ${id}: the index lists blob ${e.digest}, the pack does not hold it`);
    else if (t.offset !== e.offset || t.length !== e.length || t.encoding !== e.encoding || t.rawLength !== e.rawLength) {
      problems.push(`pack ${id}: the index and the pack disagree about where blob ${e.digest} is`);
    }
  }

  const hash = createHash('sha256');
  let pos = 0;
  let i = 0;
  let parts: Buffer[] = [];
  let feed: PassThrough | undefined;
  let feedDone: Promise<void> | undefined;
  const finishBlob = async (e: PackEntry) => {
    try {
      if (feed) {
        feed.end();
        await feedDone;
      } else decodeBlob(Buffer.concat(parts), e);
    } catch (err) {
      problems.push(`pack ${id}: blob ${e.digest}: ${(err as Error).message}`);
    }
    parts = [];
    feed = undefined;
    feedDone = undefined;
  };
  const startBlob = (e: PackEntry) => {
    if (fitsInMemory(e)) return;
    feed = new PassThrough({ highWaterMark: 1 << 20 });
    const decoded = decodeStream(feed, e);
    decoded.resume();
    feedDone = finished(decoded);
    feedDone.catch(() => undefined);
  };

  try {
    const stream = await backend.get(packName(id));
    if (trailer[0]) startBlob(trailer[0]);
    for await (const chunk of stream) {
      let b = chunk as Buffer;
      hash.update(b);
      onBytes(b.length);
      while (b.length > 0 && i < trailer.length) {
        const e = trailer[i]!;
        const take = Math.min(b.length, e.offset + e.length - pos);
        const piece = b.subarray(0, take);
        if (feed) {
          if (!feed.write(piece)) await Promise.race([once(feed, 'drain'), feedDone]);
        } else parts.push(piece);
        pos += take;
        b = b.subarray(take);
        if (pos === e.offset + e.length) {
          await finishBlob(e);
          i++;
          if (trailer[i]) startBlob(trailer[i]!);
        }
      }
      pos += b.length; // trailer bytes
    }
    if (i < trailer.length) {
      feed?.destroy();
      problems.push(`pack ${id}: ends before blob ${trailer[i]!.digest} does`);
    }
  } catch (err) {
    if (fatal(err)) throw err;
    problems.push(`pack ${id}: reading failed: ${(err as Error).message}`);
    return problems;
  }
  const actual = digestOfHex(hash.digest('hex'));
  if (actual !== id) problems.push(`pack ${id}: content hashes to ${actual}; the pack is damaged`);
  if (pos !== size) problems.push(`pack ${id}: read ${pos} bytes, the listing says ${size}`);
  return problems;
}
