/**
 * The worker's side of a snapshot's sink (blob-sink.ts): each new chunk's stored bytes are
 * appended to a segment buffer that is posted
 * to the main thread when it is full and at the end of every job (so a job's chunks always arrive
 * before its result). Segments are transferred, not copied, and come back once the main thread has
 * taken their chunks (`returns`, polled before a new buffer is made), so a snapshot of any size
 * cycles through a handful of buffers and leaves the garbage collector nothing to find. Chunks
 * repeated within one segment are sent once; the main thread drops the ones the destination has.
 * Posting takes the segment's size from the shared send budget and blocks while it is spent
 * (send-budget.ts): that is the backpressure from a slow sink.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Digest } from '../core/digest.js';
import type { Segment } from './io-jobs.js';
import type { SendBudget } from './send-budget.js';

/** Segment size: a max-size chunk (2 MiB, stored at most that big; 4 MiB in snapshots made before) always fits in an empty one. */
export const SEGMENT_BYTES = 4 * 1024 * 1024;

export class ChunkOutbox {
  private buf: Uint8Array | undefined;
  private fill = 0;
  private digests: Digest[] = [];
  private sizes: number[] = [];
  private readonly inSegment = new Set<Digest>();
  private readonly free: ArrayBuffer[] = [];

  constructor(
    private readonly budget: SendBudget,
    private readonly post: (seg: Segment, transfer: ArrayBuffer[]) => void,
    /** Where the main thread sends segment buffers back. */
    private readonly returns?: MessagePort,
  ) {}

  /** Queues one stored chunk; posts the segment first when it would not fit. */
  add(digest: Digest, stored: Uint8Array): void {
    if (this.inSegment.has(digest)) return;
    if (this.fill + stored.byteLength > SEGMENT_BYTES) this.flush();
    const buf = (this.buf ??= this.buffer(stored.byteLength));
    buf.set(stored, this.fill);
    this.fill += stored.byteLength;
    this.digests.push(digest);
    this.sizes.push(stored.byteLength);
    this.inSegment.add(digest);
  }

  /** Posts what is queued (call at the end of each job). */
  flush(): void {
    if (this.digests.length === 0 || !this.buf) return;
    const bytes = this.buf.buffer as ArrayBuffer;
    this.budget.take(bytes.byteLength);
    this.post({ digests: this.digests, sizes: this.sizes, bytes }, [bytes]);
    this.buf = undefined;
    this.discard();
  }

  /** Forgets what is queued and not posted (the job failed). */
  discard(): void {
    this.fill = 0;
    this.digests = [];
    this.sizes = [];
    this.inSegment.clear();
  }

  /** A segment buffer: one the main thread gave back, or a new one (bigger for a chunk bigger than a segment). */
  private buffer(need: number): Uint8Array {
    for (let m = this.returns && receiveMessageOnPort(this.returns); m; m = this.returns && receiveMessageOnPort(this.returns)) this.free.push(m.message as ArrayBuffer);
    const reused = need <= SEGMENT_BYTES ? this.free.pop() : undefined;
    return new Uint8Array(reused ?? new ArrayBuffer(Math.max(need, SEGMENT_BYTES)));
  }
}
