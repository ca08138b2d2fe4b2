/**
 * Where a backup writes the container's writable layer: an Ingester that keeps a layer in memory
 * while it stays small (most do: a container's own changes) and, on commit, hands it to the
 * backup's pack stream (`keep`) instead of the store. Such a layer is never written here, so it
 * never has to be deleted again (which costs a mark of the whole store under its exclusive lock).
 * A layer that grows past `limit` spills into an ordinary store writer as it goes and is committed
 * there, exactly as without this (the push then reads it back and the backup releases it).
 *
 * The digest is computed while the bytes arrive and checked against what the caller expects, as
 * the store's writer does (content/blob-writer.ts), so a kept layer is the blob its name says.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { digestOfHex, type Digest } from '../core/digest.js';
import { DigestMismatchError, SizeMismatchError } from '../core/errors.js';
import type { BlobInfo, BlobWriter, Expected, Ingester } from '../content/content-store.js';
import type { LocalContentStore } from '../content/local-store.js';

/** Layers up to this size stay in memory (a pack's worth). */
export const SMALL_LAYER = 16 * 1024 * 1024;

export class LayerIngester implements Ingester {
  /** Whether the last committed layer went to the store (then it is a candidate for release). */
  stored = false;

  constructor(
    private readonly content: LocalContentStore,
    private readonly keep: (digest: Digest, bytes: Buffer) => Promise<void>,
    private readonly limit = SMALL_LAYER,
  ) {}

  async writer(): Promise<BlobWriter> {
    const parts: Buffer[] = [];
    const hash = createHash('sha256');
    let written = 0;
    let spilled: BlobWriter | undefined;
    return {
      get written() {
        return written;
      },
      write: async (chunk: Uint8Array) => {
        written += chunk.byteLength;
        if (spilled) return spilled.write(chunk);
        hash.update(chunk);
        parts.push(Buffer.from(chunk));
        if (written <= this.limit) return;
        spilled = await this.content.writer();
        for (const p of parts.splice(0)) await spilled.write(p);
      },
      commit: async (expected: Expected = {}): Promise<BlobInfo> => {
        if (spilled) {
          const info = await spilled.commit(expected);
          this.stored = true;
          return info;
        }
        const digest = digestOfHex(hash.digest('hex'));
        if (expected.size !== undefined && expected.size !== written) throw new SizeMismatchError(expected.size, written, 'blob');
        if (expected.digest !== undefined && expected.digest !== digest) throw new DigestMismatchError(expected.digest, digest, 'blob');
        await this.keep(digest, Buffer.concat(parts, written));
        this.stored = false;
        return { digest, size: written };
      },
      abort: async () => {
        parts.length = 0;
        await spilled?.abort();
      },
    };
  }

  async put(source: Readable | Uint8Array, expected: Expected = {}): Promise<BlobInfo> {
    const w = await this.writer();
    try {
      if (source instanceof Uint8Array) await w.write(source);
      else for await (const chunk of source) await w.write(chunk as Uint8Array);
    } catch (err) {
      await w.abort();
      throw err;
    }
    return w.commit(expected);
  }
}
