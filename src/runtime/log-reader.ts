/**
 * `logs`: reads a container's json-file log, with --tail, --since, and --follow (which keeps
 * reading appended lines until the container is no longer running). Complete lines only: a line
 * the supervisor is half-way through writing is read on the next round.
 */
import { open } from 'node:fs/promises';
import { parseLogLines, type LogLine } from './json-log.js';

export interface ReadLogOptions {
  /** Only the last N lines (of what exists when reading starts). */
  tail?: number;
  /** Only lines at or after this time (ISO). */
  since?: string;
  follow?: boolean;
  /** For --follow: stop when this says the container will write no more. */
  stillRunning?: () => Promise<boolean>;
  pollMs?: number;
  signal?: AbortSignal;
}

async function readFrom(path: string, offset: number): Promise<{ text: string; next: number }> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return { text: '', next: offset };
  try {
    const { size } = await fh.stat();
    if (size <= offset) return { text: '', next: size < offset ? 0 : offset };
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const chunk = buf.subarray(0, bytesRead);
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl < 0) return { text: '', next: offset };
    return { text: chunk.subarray(0, lastNl + 1).toString('utf8'), next: offset + lastNl + 1 };
  } finally {
    await fh.close();
  }
}

export async function* readLogs(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogLine> {
  const keep = (l: LogLine) => opts.since === undefined || l.time >= opts.since;
  let { text, next } = await readFrom(path, 0);
  let lines = parseLogLines(text).filter(keep);
  if (opts.tail !== undefined && opts.tail >= 0) lines = opts.tail === 0 ? [] : lines.slice(-opts.tail);
  yield* lines;
  if (!opts.follow) return;
  const pollMs = opts.pollMs ?? 100;
  for (;;) {
    if (opts.signal?.aborted) return;
    const running = opts.stillRunning ? await opts.stillRunning() : false;
    ({ text, next } = await readFrom(path, next));
    yield* parseLogLines(text).filter(keep);
    if (!running) {
      // one more read: the supervisor writes the last lines before it records the exit
      ({ text, next } = await readFrom(path, next));
      yield* parseLogLines(text).filter(keep);
      return;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

