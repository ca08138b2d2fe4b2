/**
 * Stages the members of an image archive (docker save / OCI archive) in the content store without
 * making any of them visible: every regular member streams into a durability batch while it is
 * hashed, and members that are gzip or zstd are also decompressed and hashed on the way, so each
 * layer's DiffID is known after one pass over the archive. Symlink members (skopeo writes
 * `<id>/layer.tar -> ../<diffid>.tar`) are recorded as aliases and never followed on disk.
 * Member names that climb out of the archive (`../x`, `/x`) make the whole archive hostile.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { digestOfHex, type Digest } from '../core/digest.js';
import { HostileArchiveError, InvalidInputError } from '../core/errors.js';
import type { Compression } from '../core/media-types.js';
import type { Progress } from '../core/progress.js';
import type { DurabilityBatch } from '../content/blob-writer.js';
import type { LocalContentStore } from '../content/local-store.js';
import { decompressor, sniffCompression } from '../diff/compression.js';
import { readTar } from '../diff/tar/tar-reader.js';

export interface StagedMember {
  digest: Digest;
  size: number;
  /** What the first bytes say. */
  compression: Compression;
  /** sha256 of the decompressed bytes (= digest when uncompressed): a layer's DiffID. */
  uncompressed?: Digest;
  /** Why decompression failed, when it did (reported only if the member is used as a layer). */
  decompressError?: string;
}

export interface StagedArchive {
  members: Map<string, StagedMember>;
  aliases: Map<string, string>;
}

const MAX_MEMBERS = 100_000;
const MAX_ALIAS_HOPS = 8;

/** Normalizes a member name; refuses names that leave the archive. */
export function memberPath(name: string): string {
  const n = posix.normalize(name.replace(/^\.\/+/, ''));
  if (name.startsWith('/') || n === '..' || n.startsWith('../')) throw new HostileArchiveError(`archive member "${name}" points outside the archive`, { member: name });
  return n.replace(/\/+$/, '');
}

/** Follows symlink members inside the archive's own namespace. */
export function resolveMember(archive: StagedArchive, name: string): StagedMember | undefined {
  let path = memberPath(name);
  for (let hops = 0; hops <= MAX_ALIAS_HOPS; hops++) {
    const m = archive.members.get(path);
    if (m) return m;
    const target = archive.aliases.get(path);
    if (target === undefined) return undefined;
    path = memberPath(target.startsWith('/') ? target.slice(1) : posix.join(posix.dirname(path), target));
  }
  throw new HostileArchiveError(`archive member "${name}" is a symlink loop`);
}

async function stageOne(content: LocalContentStore, batch: DurabilityBatch, body: AsyncIterable<Buffer>, size: number, onBytes: (n: number) => void): Promise<StagedMember> {
  const writer = await content.batchWriter(batch);
  const raw = createHash('sha256');
  let inflate: ReturnType<typeof decompressor> | undefined;
  let inflated: ReturnType<typeof createHash> | undefined;
  let inflating: Promise<void> | undefined;
  let decompressError: string | undefined;
  let compression: Compression = 'none';
  let first = true;
  try {
    for await (const chunk of body) {
      if (first) {
        first = false;
        compression = sniffCompression(chunk);
        if (compression !== 'none') {
          inflate = decompressor(compression);
          const hash = (inflated = createHash('sha256'));
          inflating = (async () => {
            for await (const c of inflate!) hash.update(c as Buffer);
          })().catch((err: unknown) => {
            decompressError = (err as Error).message;
          });
        }
      }
      raw.update(chunk);
      await writer.write(chunk);
      onBytes(chunk.length);
      if (inflate && !decompressError && !inflate.write(chunk)) await Promise.race([once(inflate, 'drain'), inflating]);
    }
    inflate?.end();
    await inflating;
  } catch (err) {
    inflate?.destroy();
    await writer.abort();
    throw err;
  }
  const digest = digestOfHex(raw.digest('hex'));
  await writer.commit({ digest, size });
  const uncompressed = compression === 'none' ? digest : decompressError ? undefined : digestOfHex(inflated!.digest('hex'));
  return { digest, size, compression, ...(uncompressed ? { uncompressed } : {}), ...(decompressError ? { decompressError } : {}) };
}

/** Reads the whole archive into the batch. The caller flushes the batch only if the archive checks out. */
export async function stageArchive(content: LocalContentStore, batch: DurabilityBatch, tar: Readable, progress: Progress): Promise<StagedArchive> {
  const staged: StagedArchive = { members: new Map(), aliases: new Map() };
  let count = 0;
  for await (const entry of readTar(tar, { drainTrailing: true })) {
    if (++count > MAX_MEMBERS) throw new InvalidInputError(`image archive has more than ${MAX_MEMBERS} members`);
    if (entry.type === 'dir') continue;
    const path = memberPath(entry.path);
    if (staged.members.has(path) || staged.aliases.has(path)) throw new HostileArchiveError(`archive member "${path}" appears twice`);
    if (entry.type === 'symlink' || entry.type === 'hardlink') {
      staged.aliases.set(path, entry.type === 'hardlink' ? `/${memberPath(entry.linkname)}` : entry.linkname);
      continue;
    }
    if (entry.type !== 'file') throw new HostileArchiveError(`archive member "${path}" is a ${entry.type}; image archives hold only files, directories and links`);
    const task = entry.size > 1 << 20 ? progress.task(`Loading layer ${posix.basename(path).slice(0, 12)}`, entry.size) : undefined;
    staged.members.set(path, await stageOne(content, batch, entry.body, entry.size, (n) => task?.advance(n)));
    task?.done();
  }
  return staged;
}

/** The bytes of a small staged member (a JSON document), verified. */
export async function readStaged(content: LocalContentStore, batch: DurabilityBatch, m: StagedMember, limit: number, what: string): Promise<Buffer> {
  if (m.size > limit) throw new InvalidInputError(`${what} is ${m.size} bytes, over the ${limit}-byte limit`, { code: 'JSON_TOO_LARGE' });
  const data = await readFile(batch.pendingPath(m.digest) ?? content.blobPath(m.digest));
  if (createHash('sha256').update(data).digest('hex') !== m.digest.slice(7)) throw new InvalidInputError(`${what} changed while being loaded`);
  return data;
}
