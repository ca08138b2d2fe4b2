/**
 * The sink of a snapshot into the local store (blob-sink.ts): new chunks are appended to a pack in
 * ingest/ as the workers hand them over, and each pack, sealed at ~16 MiB, joins the snapshot's
 * durability batch, which names it under packs/ after its syncfs (content/local-packs.ts). Trees
 * stay blob files, written by the BlobBatcher first: `has` is true for them, so none is packed.
 *
 * `has` answers from what this snapshot packed, the store's pack index and, for chunks stored as
 * blob files before packs existed, a stat: a blob file of the wrong size is damaged, so it is
 * quarantined and the chunk is packed again. A blob a finished directory names that the store lacks
 * (a parent's chunk since lost or quarantined) lands in `lacking`: the caller then reads the
 * volume again without a parent, so such a snapshot never names what is not there.
 */
import { statSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import type { Descriptor } from '../core/oci.js';
import { LOCAL_PACK_TARGET, PackFileWriter, type LocalPacks } from '../content/local-packs.js';
import type { LocalContentStore } from '../content/local-store.js';
import type { BlobBatcher } from './blob-batcher.js';
import type { BlobSink } from './blob-sink.js';

export class LocalPackSink implements BlobSink {
  readonly lacking = new Set<Digest>();
  /** Packed by this snapshot, or found as a blob file already: answered without a syscall. */
  private readonly given = new Set<Digest>();
  private writer: PackFileWriter | undefined;

  /** `packs` must be ready (its index loaded). */
  constructor(
    private readonly content: LocalContentStore,
    private readonly packs: LocalPacks,
    private readonly blobs: BlobBatcher,
  ) {}

  has(digest: Digest, size?: number): boolean {
    if (this.given.has(digest) || this.packs.get(digest) !== undefined || this.blobs.has(digest)) return true;
    const st = statSync(this.content.blobPath(digest), { throwIfNoEntry: false });
    if (st === undefined) return false;
    if (size !== undefined && st.size !== size) {
      // Named blobs are whole (written, synced, then renamed): this one was damaged since. Moved
      // aside, it no longer shadows the packed copy this snapshot is about to write.
      this.content.quarantineFileSync(digest);
      return false;
    }
    this.given.add(digest); // a tree, or a chunk stored before packs
    return true;
  }

  put(digest: Digest, bytes: Uint8Array): Promise<void> {
    this.writer ??= new PackFileWriter(this.content.ingestDir);
    this.writer.append(digest, bytes);
    this.given.add(digest);
    if (this.writer.size >= LOCAL_PACK_TARGET) this.seal();
    return Promise.resolve();
  }

  refer(blobs: readonly Descriptor[]): void {
    for (const b of blobs) if (!this.has(b.digest, b.size)) this.lacking.add(b.digest);
  }

  /** Seals the open pack (if any) into the batch; call before the batch's last flush. */
  seal(): void {
    const sealed = this.writer?.seal();
    this.writer = undefined;
    if (!sealed) return;
    const packs = this.packs;
    this.blobs.addFile(sealed.tmp, packs.packPath(sealed.name), sealed.size, () => packs.add(sealed.name, sealed.entries));
  }

  /** Throws away the open pack (a failed snapshot; sealed ones go with the batch's discard). */
  discard(): void {
    this.writer?.abort();
    this.writer = undefined;
  }
}
