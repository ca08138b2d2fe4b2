/**
 * The run history: an append-only JSON-lines file in the store root, `<root>/scheduler/history.jsonl`
 * (next to the data the runs are about, so a restored or moved store keeps its history; the config
 * dir holds settings only). The scheduler and `schedule run-now` append to the same file.
 *
 * - Every event is ONE write of one line with O_APPEND, then fdatasync: lines of two processes never
 *   interleave, and an acknowledged line survives a power cut.
 * - A crash can leave a torn last line. Readers skip a line that does not parse (and count it); the
 *   next writer starts with a newline when the file does not end in one, so the torn piece never
 *   glues onto a good line.
 * - Reading streams line by line: constant memory however long the history grows.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isErrno } from '../core/errors.js';
import { storeLayout } from '../core/layout.js';
import { pidAlive } from '../repository/repo-locks.js';
import { foldRuns, type HistoryEvent, type RunView } from './run-record.js';

/** Everything the scheduler keeps under a store root. */
export function schedulerPaths(root: string): { dir: string; history: string; locks: string } {
  const dir = storeLayout(root).scheduler;
  return { dir, history: join(dir, 'history.jsonl'), locks: join(dir, 'locks') };
}

/** Long error texts are cut: a line stays small (and a single write). */
const MAX_TEXT = 4000;

export class HistoryLog {
  readonly path: string;
  private queue: Promise<void> = Promise.resolve();

  constructor(root: string) {
    this.path = schedulerPaths(root).history;
  }

  /** Appends one event; appends from this process are kept in order. */
  append(event: HistoryEvent): Promise<void> {
    const next = this.queue.then(() => this.write(event));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(event: HistoryEvent): Promise<void> {
    await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
    const fh = await open(this.path, 'a+', 0o600);
    try {
      // Checked on every write: another process may have died mid-line since our last one.
      let prefix = '';
      const { size } = await fh.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await fh.write(`${prefix}${JSON.stringify(event, capText)}\n`);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  /** Every event in order; lines that do not parse are skipped and counted in `torn`. */
  async read(): Promise<{ events: HistoryEvent[]; torn: number }> {
    const events: HistoryEvent[] = [];
    let torn = 0;
    try {
      for await (const e of this.lines()) {
        if (e) events.push(e);
        else torn++;
      }
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    return { events, torn };
  }

  private async *lines(): AsyncGenerator<HistoryEvent | undefined> {
    const stream = createReadStream(this.path, { encoding: 'utf8' });
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of rl) {
        if (line.trim() === '') continue;
        yield parseEvent(line);
      }
    } finally {
      rl.close();
      stream.destroy();
    }
  }
}

function capText(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
}

const EVENTS = new Set(['start', 'end', 'skip', 'scheduler-start', 'scheduler-stop']);

/** A history line, or undefined when it is torn or not ours. */
export function parseEvent(line: string): HistoryEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const e = v as Partial<HistoryEvent> & { run?: unknown; job?: unknown };
  if (typeof e.event !== 'string' || !EVENTS.has(e.event)) return undefined;
  if ((e.event === 'start' || e.event === 'end' || e.event === 'skip') && (typeof e.run !== 'string' || typeof e.job !== 'string')) return undefined;
  return v as HistoryEvent;
}

/** Every run in the history as people read it; a run whose process is gone without an end is "interrupted". */
export async function readRuns(log: HistoryLog): Promise<{ runs: RunView[]; torn: number }> {
  const { events, torn } = await log.read();
  return { runs: foldRuns(events, (host, pid) => host === hostname() && pidAlive(pid)), torn };
}
