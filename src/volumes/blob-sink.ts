/**
 * Where a snapshot's new chunks go: the seam between the snapshot engine and a destination, the
 * store's own packs (local-pack-sink.ts) or, wired in by ops/ for a backup, a repository's pack
 * uploader (volumes/ never imports repository/). Lifecycle:
 *
 *   takeSnapshot → the I/O workers read, chunk, hash and compress, and post each file's stored
 *   chunks to the main thread in segments (chunk-outbox.ts); a SinkFeed hands every blob the sink
 *   lacks to `put`, one at a time, and trees as they are written (trees are blob files in the local
 *   store in any case: the next snapshot compares against them) → the caller finishes the sink
 *   (last pack, index) → refs, last.
 *
 * Backpressure: `put` resolves when the sink has taken the bytes (copied them into a pack); while
 * it waits, segments queue up to the workers' send budget (send-budget.ts) and then the workers
 * wait. Memory is the budget plus what the sink holds, for any amount of data.
 */
import type { Digest } from '../core/digest.js';
import type { Descriptor } from '../core/oci.js';
import type { Segment } from './io-jobs.js';
import { WorkerPool } from './worker-pool.js';

export interface BlobSink {
  /** Whether the destination has this blob (of `size` stored bytes, when given), or has been given it: then its bytes are not sent. */
  has(digest: Digest, size?: number): boolean;
  /**
   * Takes one stored blob (a chunk as the snapshot stores it, or a tree). `bytes` may be a view of
   * a buffer reused once the promise resolves: copy what is kept. The sink records the digest, so
   * `has` is true for it from now on.
   */
  put(digest: Digest, bytes: Uint8Array): Promise<void>;
  /**
   * Every blob the snapshot names (each directory's subtrees and chunks, and each tree itself,
   * also those kept from the parent or read from nowhere): the sink notes the ones it lacks, which
   * the caller then sends another way (from the local store), so the snapshot is whole in the
   * destination without anyone walking its trees again.
   */
  refer(blobs: readonly Descriptor[]): void;
}

/**
 * The main thread's side of a snapshot into a sink: segments from the workers and trees from the
 * walk are handed over in arrival order through one chain, each blob the sink lacks once. A failed
 * `put` fails the feed: later segments are only released (so no worker waits forever), `drain`
 * rejects with the first error, and `onFailure` lets the walk stop early.
 */
export class SinkFeed {
  /** Blobs and stored bytes this snapshot gave the sink. */
  readonly added = { blobs: 0, bytes: 0 };
  private chain: Promise<void> = Promise.resolve();
  private failure: { err: unknown } | undefined;

  constructor(
    private readonly sink: BlobSink,
    private readonly onFailure: (err: unknown) => void = () => {},
  ) {}

  /** A worker's segment: blobs back to back in `bytes`; `done` gives the buffer back once they are in the sink. */
  segment(seg: Segment, done: () => void): void {
    this.enqueue(async () => {
      const bytes = new Uint8Array(seg.bytes);
      try {
        let off = 0;
        for (let i = 0; i < seg.digests.length; i++) {
          const size = seg.sizes[i]!;
          if (!this.failure) await this.one(seg.digests[i]!, bytes.subarray(off, off + size));
          off += size;
        }
      } finally {
        done();
      }
    });
  }

  /** A tree blob written on the main thread (also stored locally by the caller). */
  tree(digest: Digest, bytes: Uint8Array): void {
    this.enqueue(() => (this.failure ? Promise.resolve() : this.one(digest, bytes)));
  }

  /** A finished directory: the tree blob itself and everything it names (treeChildren). */
  refer(stored: Descriptor, children: readonly Descriptor[]): void {
    this.sink.refer([stored, ...children]);
  }

  /** Stops handing blobs over (the snapshot failed): what is queued is only released. */
  cancel(err: unknown): void {
    this.failure ??= { err };
  }

  /** Resolves once everything queued so far is in the sink; rejects with the first failure. */
  async drain(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure.err;
  }

  private async one(digest: Digest, bytes: Uint8Array): Promise<void> {
    if (this.sink.has(digest, bytes.byteLength)) return;
    await this.sink.put(digest, bytes);
    this.added.blobs++;
    this.added.bytes += bytes.byteLength;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      if (this.failure) return;
      this.failure = { err };
      this.onFailure(err);
    });
  }
}

/**
 * The I/O workers for one snapshot: a pool that carries segments into a feed, and a signal that
 * also fires when the sink fails (so the walk stops).
 */
export function snapshotWorkers(sink: BlobSink, workers?: number, signal?: AbortSignal): { pool: WorkerPool; feed: SinkFeed; signal: AbortSignal } {
  const failed = new AbortController();
  const feed = new SinkFeed(sink, (err) => failed.abort(err));
  const pool = new WorkerPool(workers, { onSegment: (seg, done) => feed.segment(seg, done) });
  return { pool, feed, signal: signal ? AbortSignal.any([signal, failed.signal]) : failed.signal };
}
