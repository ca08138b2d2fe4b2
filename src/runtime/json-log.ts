/**
 * Container logs in Docker's json-file format: one JSON object per line,
 * {"log":"hello\n","stream":"stdout","time":"2026-11-22T07:39:01.123456Z"}. Output is split at
 * newlines; a line longer than 16 KiB is written in pieces without the newline (as Docker does),
 * and whatever is left without a newline when the stream ends is written as a last partial line.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  log: string;
  stream: LogStream;
  time: string;
}

const MAX_LINE = 16 * 1024;

/** RFC 3339 with microseconds; sorts as text. */
export function logTime(nowMs = performance.timeOrigin + performance.now()): string {
  const iso = new Date(Math.floor(nowMs)).toISOString(); // ...SS.mmmZ
  const micros = String(Math.floor((nowMs % 1) * 1000)).padStart(3, '0');
  return `${iso.slice(0, -1)}${micros}Z`;
}

export class JsonLogWriter {
  private readonly fd: number;
  private readonly pending: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };

  constructor(path: string) {
    this.fd = openSync(path, 'a', 0o640);
  }

  private emit(stream: LogStream, bytes: Buffer): void {
    const line: LogLine = { log: bytes.toString('utf8'), stream, time: logTime() };
    writeSync(this.fd, JSON.stringify(line) + '\n');
  }

  write(stream: LogStream, chunk: Buffer): void {
    let buf = this.pending[stream].length ? Buffer.concat([this.pending[stream], chunk]) : chunk;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      this.emit(stream, buf.subarray(0, nl + 1));
      buf = buf.subarray(nl + 1);
    }
    while (buf.length >= MAX_LINE) {
      this.emit(stream, buf.subarray(0, MAX_LINE));
      buf = buf.subarray(MAX_LINE);
    }
    this.pending[stream] = Buffer.from(buf);
  }

  /** Writes what is left of a stream that ended without a newline. */
  flush(stream: LogStream): void {
    if (this.pending[stream].length > 0) this.emit(stream, this.pending[stream]);
    this.pending[stream] = Buffer.alloc(0);
  }

  close(): void {
    this.flush('stdout');
    this.flush('stderr');
    closeSync(this.fd);
  }
}

/** Parses log text; malformed lines (a torn last line) are skipped. */
export function parseLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const v = JSON.parse(line) as Partial<LogLine>;
      if (typeof v.log === 'string' && (v.stream === 'stdout' || v.stream === 'stderr')) out.push({ log: v.log, stream: v.stream, time: String(v.time ?? '') });
    } catch {
      /* a line being written right now */
    }
  }
  return out;
}
