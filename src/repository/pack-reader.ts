/**
 * Reading from packs with as few requests as possible: a pack's trailer with two ranged reads (the
 * tail, then the trailer), and many blobs of one pack with one ranged read per run of neighbours
 * (blobs closer than MERGE_GAP are fetched together, up to MAX_RUN bytes a read), which is what
 * makes a restore of 20,000 small chunks over SFTP a few dozen round trips instead of 20,000.
 * Every blob handed out has been decoded and verified against its digest (blob-encoding.ts).
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../core/digest.js';
import { getBytes, type Backend } from './backend.js';
import { MEMORY_DECODE_LIMIT, decodeBlob, decodeStream } from './blob-encoding.js';
import { PACK_TAIL, parsePackTail, parseTrailer, type PackEntry } from '../core/pack-format.js';
import type { BlobLocation } from './repo-index.js';
import { packName } from './repo-layout.js';

export const MERGE_GAP = 1024 * 1024;
export const MAX_RUN = 32 * 1024 * 1024;

/** The entries a pack's trailer lists (two small ranged reads). */
export async function readPackTrailer(backend: Backend, pack: Digest, size: number): Promise<PackEntry[]> {
  const name = packName(pack);
  const tail = await getBytes(backend, name, { offset: size - PACK_TAIL, length: PACK_TAIL }, PACK_TAIL);
  const len = parsePackTail(tail, size);
  const json = await getBytes(backend, name, { offset: size - PACK_TAIL - len, length: len }, len);
  return parseTrailer(json, size);
}

/** Whether a blob is decoded in memory (else it streams). */
export function fitsInMemory(loc: Pick<PackEntry, 'rawLength' | 'length'>): boolean {
  return loc.rawLength <= MEMORY_DECODE_LIMIT && loc.length <= MEMORY_DECODE_LIMIT;
}

/** One verified blob, in memory. */
export async function readBlob(backend: Backend, loc: BlobLocation): Promise<Buffer> {
  const stored = await getBytes(backend, packName(loc.pack), { offset: loc.offset, length: loc.length }, loc.length);
  return decodeBlob(stored, loc);
}

/** One blob as a stream that fails at its end unless its size and digest are right. */
export async function blobStream(backend: Backend, loc: BlobLocation): Promise<Readable> {
  return decodeStream(await backend.get(packName(loc.pack), { offset: loc.offset, length: loc.length }), loc);
}

/** Groups blobs of one pack into runs worth one ranged read each. */
export function planRuns(locs: readonly BlobLocation[], gap = MERGE_GAP, maxRun = MAX_RUN): BlobLocation[][] {
  const sorted = [...locs].sort((a, b) => a.offset - b.offset);
  const runs: BlobLocation[][] = [];
  let run: BlobLocation[] = [];
  let start = 0;
  let end = 0;
  for (const loc of sorted) {
    const locEnd = loc.offset + loc.length;
    if (run.length > 0 && loc.offset - end <= gap && Math.max(end, locEnd) - start <= maxRun) {
      run.push(loc);
      end = Math.max(end, locEnd);
      continue;
    }
    if (run.length > 0) runs.push(run);
    run = [loc];
    start = loc.offset;
    end = locEnd;
  }
  if (run.length) runs.push(run);
  return runs;
}

/**
 * Reads the given in-memory-sized blobs of ONE pack, run by run, and calls `onBlob` with each
 * verified blob (in offset order), decoded and as stored. A blob that fails verification rejects the whole call.
 */
export async function readPackBlobs(backend: Backend, locs: readonly BlobLocation[], onBlob: (loc: BlobLocation, data: Buffer, stored: Buffer) => Promise<void>): Promise<void> {
  for (const run of planRuns(locs)) {
    const first = run[0]!;
    const last = run.reduce((m, l) => Math.max(m, l.offset + l.length), 0);
    const bytes = await getBytes(backend, packName(first.pack), { offset: first.offset, length: last - first.offset }, last - first.offset);
    for (const loc of run) {
      const stored = bytes.subarray(loc.offset - first.offset, loc.offset - first.offset + loc.length);
      await onBlob(loc, decodeBlob(stored, loc), stored);
    }
  }
}
