/**
 * An I/O worker thread for snapshots and restores. Node's async fs costs more per call than the
 * syscalls themselves (a thread-pool round trip and a promise each), and a volume is mostly small
 * files; here every call is synchronous, and two or more workers read or write in parallel while
 * the main thread walks directories. Each job is a group of files: stored (read, chunk, hash,
 * compress, post new chunks to the main thread for the snapshot's sink) or restored (verified
 * chunks → a new file with its metadata); a directory scanned (lstat, xattrs, link targets) and
 * compared with its parent snapshot's tree; or a syncfs, so the main thread's batch flush finds
 * little left to write back.
 */
import { closeSync, openSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Chunker } from '../core/chunker.js';
import { isErrno } from '../core/errors.js';
import { native } from '../platform/native.js';
import { hostPath, toWire, type Job, type JobResult, type StoreOutcome } from './io-jobs.js';
import { ChunkCodec } from './chunk-codec.js';
import { ChunkOutbox } from './chunk-outbox.js';
import { SendBudget } from './send-budget.js';
import { closePacks, restoreFileSync, type RestoreContext } from './restore-file-sync.js';
import { scanDirSync } from './scan-dir-sync.js';
import { sameLeaf } from './scanned-entry.js';
import { readTreeSync } from './tree-read-sync.js';
import { storeFileSync, type StoreContext } from './store-file-sync.js';

let store: StoreContext | undefined;
let restore: RestoreContext | undefined;
let codec: ChunkCodec | undefined;
let outbox: ChunkOutbox | undefined;

/** The outbox for snapshots into a sink; the pool shares its send budget through workerData. */
function sinkOutbox(): ChunkOutbox {
  const data = workerData as { budget?: SharedArrayBuffer; returns?: MessagePort } | null;
  if (!data?.budget) throw new Error('bug: a sending store job on a pool without a send budget');
  outbox ??= new ChunkOutbox(new SendBudget(data.budget), (seg, transfer) => parentPort!.postMessage({ seg }, transfer), data.returns);
  return outbox;
}

function run(job: Job): JobResult {
  if (job.kind === 'store') {
    codec ??= new ChunkCodec(job.chunker.max);
    store ??= { chunker: new Chunker(job.chunker), codec, out: sinkOutbox() };
    try {
      const files: StoreOutcome[] = job.files.map((p, i) => {
        try {
          return storeFileSync(hostPath(p), store!, job.sizes[i], job.previous?.[i] ?? undefined);
        } catch (err) {
          if (isErrno(err, 'ENOENT')) return { gone: true };
          throw err;
        }
      });
      store.out.flush(); // the job's chunks reach the main thread before its result
      return { kind: 'store', files };
    } catch (err) {
      store.out.discard();
      throw err;
    }
  }
  if (job.kind === 'dir') {
    const scan = scanDirSync(hostPath(job.path), job.alias);
    if (!job.parent) return { kind: 'dir', scan: JSON.stringify(scan) };
    const parent = readTreeSync(job.parent.paths, job.parent.digest);
    const same = sameLeaf(scan, parent.tree, parent.json);
    if (same) return { kind: 'dir', same, size: parent.size };
    return { kind: 'dir', scan: JSON.stringify(scan), parent: { json: parent.json, size: parent.size } };
  }
  if (job.kind === 'syncfs') {
    const fd = openSync(job.path, 'r');
    try {
      native.syncfs(fd);
    } finally {
      closeSync(fd);
    }
    return { kind: 'syncfs' };
  }
  const policy = { sameOwner: job.sameOwner, isRoot: job.isRoot, skipped: { devices: 0, xattrs: 0 } };
  codec ??= new ChunkCodec();
  restore ??= { paths: job.paths, codec, buf: Buffer.allocUnsafe(0) };
  restore.paths = job.paths;
  let written = 0;
  try {
    for (const f of job.files) {
      written += restoreFileSync(restore, { ...f, create: hostPath(f.create), ...(f.final !== undefined ? { final: hostPath(f.final) } : {}) }, policy);
    }
  } finally {
    closePacks(restore);
  }
  return { kind: 'restore', written, skippedXattrs: policy.skipped.xattrs };
}

parentPort?.on('message', (msg: { id: number; job: Job }) => {
  try {
    parentPort!.postMessage({ id: msg.id, ok: true, result: run(msg.job) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: toWire(err) });
  }
});
