/**
 * A byte budget shared by the main thread and the I/O workers, for chunks the workers post to the
 * main thread (a snapshot into a sink, blob-sink.ts). A worker takes bytes before it posts a
 * segment and blocks (Atomics.wait: workers may block, the main thread never does) while the
 * budget is spent; the main thread gives them back once a segment is consumed. So however fast
 * the workers read and however slowly the sink uploads, at most LIMIT bytes wait between them.
 *
 * A segment bigger than the whole budget still goes when nothing else is outstanding, so a worker
 * can never wait for a budget that cannot come. close() wakes every waiter with an error: a pool
 * that is shut down (a failed snapshot) leaves no worker blocked.
 */

/** Bytes posted by workers and not yet consumed, at most. */
export const SEND_LIMIT = 16 * 1024 * 1024;

const OUTSTANDING = 0;
const CLOSED = 1;
/** A waiter re-checks this often, so a missed wake-up costs little. */
const WAIT_MS = 200;

export class SendBudget {
  private readonly cells: Int32Array;

  /** `shared` from another thread's budget (workerData), or a new one. */
  constructor(shared?: SharedArrayBuffer, private readonly limit = SEND_LIMIT) {
    this.cells = new Int32Array(shared ?? new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  }

  get shared(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  get outstanding(): number {
    return Atomics.load(this.cells, OUTSTANDING);
  }

  /** Worker side: takes `bytes`, waiting while the budget is spent. Throws once closed. */
  take(bytes: number): void {
    for (;;) {
      if (Atomics.load(this.cells, CLOSED)) throw new Error('the snapshot was stopped');
      const now = Atomics.load(this.cells, OUTSTANDING);
      if (now === 0 || now + bytes <= this.limit) {
        if (Atomics.compareExchange(this.cells, OUTSTANDING, now, now + bytes) === now) return;
        continue;
      }
      Atomics.wait(this.cells, OUTSTANDING, now, WAIT_MS);
    }
  }

  /** Main side: gives `bytes` back and wakes waiting workers. */
  give(bytes: number): void {
    Atomics.sub(this.cells, OUTSTANDING, bytes);
    Atomics.notify(this.cells, OUTSTANDING);
  }

  /** Main side: fails every current and future take(). */
  close(): void {
    Atomics.store(this.cells, CLOSED, 1);
    Atomics.notify(this.cells, OUTSTANDING);
  }
}
