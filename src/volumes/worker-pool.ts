/**
 * A small pool of I/O worker threads (io-worker.ts). Jobs go to the worker with the fewest in
 * flight (at most DEPTH each, so a worker usually has its next job queued; never behind a group of
 * files, see pick()), the rest wait in FIFO order, urgent ones (the directory scans a walk waits
 * for) first. `ready()` lets a producer wait
 * while the queue is long, so walking a huge directory never piles up more than a bounded number
 * of jobs. A worker that dies fails its jobs and leaves the pool (the last one to go fails the
 * queue too); close() ends them all.
 *
 * A pool made with `onSegment` also carries chunks from the workers to the main thread (a
 * snapshot into a sink, blob-sink.ts): segments arrive through that callback, ahead of the result
 * of the job that produced them, and count against the shared send budget until the consumer says
 * `done`; then the buffer goes back to the worker that filled it.
 *
 * A worker takes ~70 ms to start (Node's own bootstrap, then io-worker.js and its imports).
 * prestartWorkers() starts them early, while the command does its own set-up (refs, the pack
 * index, a repository's connection, pausing a container); the next pool takes them. Until then
 * they are unreferenced, so a command that fails first still exits, and after a minute untaken
 * they end (the scheduler's process lives on).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { builtPath } from '../platform/install-paths.js';
import { fromWire, type Job, type JobResult, type Segment, type WireError } from './io-jobs.js';
import { SendBudget } from './send-budget.js';

const DEPTH = 2;
/** Jobs that can run long (groups of files): see pump(). */
const LONG = new Set<Job['kind']>(['store', 'restore']);
/**
 * Jobs waiting for a worker before ready() holds the producer back. A few groups keep both workers
 * fed (a group of small files takes a few ms); more only lengthens the life of every queued file's
 * entry on the main thread, which then outlives the young generation: 64 cost ~20 MiB of peak RSS
 * on a 20,000-file snapshot and bought no speed.
 */
const MAX_QUEUE = 8;

interface Pending {
  job: Job;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, Pending>;
  /** Where consumed segments go back to this worker (pools with onSegment). */
  returns: MessagePort;
}

export function defaultWorkers(): number {
  return Math.min(4, Math.max(2, availableParallelism()));
}

export interface PoolOptions {
  /** Receives the chunk segments that sending store jobs post; `done()` once its bytes are no longer needed. */
  onSegment?: (seg: Segment, done: () => void) => void;
}

/** A worker with the channel its segment buffers come back on (pools with onSegment use it). */
interface Started {
  worker: Worker;
  returns: MessagePort;
}

function startWorker(budget: SendBudget): Started {
  const channel = new MessageChannel();
  const worker = new Worker(builtPath('volumes', 'io-worker.js'), { workerData: { budget: budget.shared, returns: channel.port2 }, transferList: [channel.port2] });
  channel.port1.unref();
  return { worker, returns: channel.port1 };
}

/** Started ahead of their pool (prestartWorkers); all share one send budget, which the pool adopts. */
let spares: { budget: SendBudget; workers: Array<Started & { forget: () => void }>; expiry: NodeJS.Timeout } | undefined;
/** Spares no pool took by then end (a command that failed first, in a long-lived scheduler). */
const SPARE_LIFETIME_MS = 60_000;

/** Starts `size` workers for the next pool (see the header); does nothing when some are waiting already. */
export function prestartWorkers(size = defaultWorkers()): void {
  if (spares) return;
  const budget = new SendBudget();
  const started = Array.from({ length: size }, () => {
    const s = startWorker(budget);
    s.worker.unref();
    const gone = () => {
      s.returns.close();
      if (spares) spares.workers = spares.workers.filter((w) => w.worker !== s.worker);
    };
    s.worker.on('error', gone).on('exit', gone);
    return { ...s, forget: () => s.worker.off('error', gone).off('exit', gone) };
  });
  const expiry = setTimeout(() => takeSpares(0), SPARE_LIFETIME_MS).unref();
  spares = { budget, workers: started, expiry };
}

/** The spares, for a pool: at most `size` of them (the rest end), and their budget. */
function takeSpares(size: number): { budget: SendBudget; workers: Started[] } | undefined {
  const taken = spares;
  spares = undefined;
  if (taken) clearTimeout(taken.expiry);
  if (!taken || taken.workers.length === 0) return undefined;
  for (const w of taken.workers) w.forget();
  for (const w of taken.workers.slice(size)) {
    w.returns.close();
    void w.worker.terminate();
  }
  return size === 0 ? undefined : { budget: taken.budget, workers: taken.workers.slice(0, size).map((w) => (w.worker.ref(), w)) };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly waiters: Array<() => void> = [];
  private nextId = 0;
  private closed = false;
  /** Why no worker is left, once the last one died. */
  private lost: Error | undefined;
  private readonly budget: SendBudget | undefined;

  constructor(size = defaultWorkers(), private readonly opts: PoolOptions = {}) {
    const taken = takeSpares(size);
    const budget = taken?.budget ?? new SendBudget(); // every worker gets one; only onSegment pools use it
    if (opts.onSegment) this.budget = budget;
    const workers = taken?.workers ?? [];
    while (workers.length < size) workers.push(startWorker(budget));
    for (const w of workers) this.slots.push(this.attach(w));
  }

  private attach({ worker, returns }: Started): Slot {
    const slot: Slot = { worker, inflight: new Map(), returns };
    worker.on('message', (msg: { id: number; ok: boolean; result?: JobResult; error?: WireError; seg?: Segment }) => {
      if (msg.seg) {
        const seg = msg.seg;
        let given = false;
        return this.opts.onSegment?.(seg, () => {
          if (given) return;
          given = true;
          this.budget?.give(seg.bytes.byteLength);
          if (!this.closed) slot.returns.postMessage(seg.bytes, [seg.bytes]); // back to its worker, for the next segment
        });
      }
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
      if (this.closed) return;
      // Gone for good: its jobs fail, and it takes no more (a job sent to it would never answer).
      const err = new Error(`I/O worker exited with code ${code}`);
      fail(err);
      this.slots.splice(this.slots.indexOf(slot), 1);
      slot.returns.close();
      if (this.slots.length === 0) {
        this.lost = err;
        for (const p of this.queue.splice(0)) p.reject(err);
      }
      this.pump();
    });
    return slot;
  }

  /** Queues a job; `urgent` ones (directory scans the walk waits for) go to the front. */
  run(job: Job, urgent = false): Promise<JobResult> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    // Its chunks would come back with nobody to take them, and the worker would wait for its budget forever.
    if (job.kind === 'store' && !this.opts.onSegment) return Promise.reject(new Error('bug: a store job on a pool without onSegment'));
    if (this.lost) return Promise.reject(this.lost);
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
    for (let slot = this.pick(); slot && this.queue.length > 0; slot = this.pick()) {
      const p = this.queue.shift()!;
      const id = this.nextId++;
      slot.inflight.set(id, p);
      slot.worker.postMessage({ id, job: p.job });
    }
    if (this.queue.length < MAX_QUEUE) for (const w of this.waiters.splice(0)) w();
  }

  /**
   * The worker with the fewest jobs in flight that can take one more: fewer than DEPTH, and none
   * of them a group of files. A group can hold a worker for seconds (one big file), and a
   * directory scan the walk waits for must never queue behind it.
   */
  private pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (s.inflight.size >= DEPTH || (s.inflight.size > 0 && [...s.inflight.values()].some((p) => LONG.has(p.job.kind)))) continue;
      if (!best || s.inflight.size < best.inflight.size) best = s;
    }
    return best;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.budget?.close(); // a worker waiting for send budget fails its job instead of blocking terminate()
    for (const p of this.queue.splice(0)) p.reject(new Error('worker pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const s of this.slots) s.returns.close();
  }
}
