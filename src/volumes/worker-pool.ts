/**
 * A small pool of I/O worker threads (io-worker.ts). Jobs go to the worker with the fewest in
 * flight (at most DEPTH each, so a worker always has its next job queued), the rest wait in FIFO
 * order, urgent ones (the directory scans a walk waits for) first. `ready()` lets a producer wait
 * while the queue is long, so walking a huge directory never piles up more than a bounded number
 * of jobs. A worker that dies fails its jobs; close() ends them all.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fromWire, type Job, type JobResult, type WireError } from './io-jobs.js';

const DEPTH = 2;
const MAX_QUEUE = 64;

interface Pending {
  job: Job;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, Pending>;
}

export function defaultWorkers(): number {
  return Math.min(4, Math.max(2, availableParallelism()));
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly waiters: Array<() => void> = [];
  private nextId = 0;
  private closed = false;

  constructor(size = defaultWorkers()) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./io-worker.js', import.meta.url));
    const slot: Slot = { worker, inflight: new Map() };
    worker.on('message', (msg: { id: number; ok: boolean; result?: JobResult; error?: WireError }) => {
      const p = slot.inflight.get(msg.id);
      if (!p) return;
      slot.inflight.delete(msg.id);
      if (msg.ok) p.resolve(msg.result!);
      else p.reject(fromWire(msg.error!));
      this.pump();
    });
    const fail = (err: Error) => {
      for (const p of slot.inflight.values()) p.reject(err);
      slot.inflight.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`I/O worker exited with code ${code}`));
    });
    return slot;
  }

  /** Queues a job; `urgent` ones (directory scans the walk waits for) go to the front. */
  run(job: Job, urgent = false): Promise<JobResult> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    return new Promise<JobResult>((resolve, reject) => {
      if (urgent) this.queue.unshift({ job, resolve, reject });
      else this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Resolves when the queue is short enough to add more work. */
  async ready(): Promise<void> {
    while (this.queue.length >= MAX_QUEUE) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.reduce((a, b) => (b.inflight.size < a.inflight.size ? b : a));
      if (slot.inflight.size >= DEPTH) break;
      const p = this.queue.shift()!;
      const id = this.nextId++;
      slot.inflight.set(id, p);
      slot.worker.postMessage({ id, job: p.job });
    }
    if (this.queue.length < MAX_QUEUE) for (const w of this.waiters.splice(0)) w();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('worker pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
