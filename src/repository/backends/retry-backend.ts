/**
 * Decorator: retries what failed for a transient reason (a cut or refused connection, a reset, a
 * timeout) with exponential backoff and jitter, and nothing else: an auth or host-key failure, a
 * missing file, a full disk or corrupt data fail at once, since trying again cannot help.
 *
 * - put() starts again from the beginning of its source (that is why a PutSource can be reopened).
 * - get() streams resume: when a read breaks mid-way, the rest is asked for again from the byte
 *   where it broke, so a 1 GB pack read over a flaky link is not read twice.
 * - delete() that fails and then finds the file gone on a retry counts as done (the first attempt
 *   probably removed it and only its answer was lost).
 * The backend underneath must reconnect on its own when asked again (SftpBackend does).
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError, UnreachableError, isErrno } from '../../core/errors.js';
import type { Backend, ByteRange, FileInfo, PutSource } from '../backend.js';

export interface RetryOptions {
  /** Attempts after the first one. Default 5. */
  retries?: number;
  /** First backoff; doubles on each retry. Default 250 ms. */
  baseMs?: number;
  /** Cap of one backoff. Default 10 s. */
  maxMs?: number;
  /** Told before each wait (the CLI prints a warning). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

const TRANSIENT_ERRNO = ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'];

/** Whether trying the same operation again may succeed. */
export function isTransient(err: unknown): boolean {
  return err instanceof UnreachableError || isErrno(err, ...TRANSIENT_ERRNO);
}

/** Equal jitter: half the exponential delay, plus a random share of the other half. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const d = Math.min(maxMs, baseMs * 2 ** attempt);
  return d / 2 + Math.random() * (d / 2);
}

export class RetryBackend implements Backend {
  private readonly retries: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(private readonly inner: Backend, private readonly opts: RetryOptions = {}) {
    this.retries = opts.retries ?? 5;
    this.baseMs = opts.baseMs ?? 250;
    this.maxMs = opts.maxMs ?? 10_000;
  }

  get location(): string {
    return this.inner.location;
  }

  private async attempt<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        if (!isTransient(err) || attempt >= this.retries) throw err;
        await this.wait(err, attempt);
      }
    }
  }

  private async wait(err: unknown, attempt: number): Promise<void> {
    const delay = backoffDelay(attempt, this.baseMs, this.maxMs);
    this.opts.onRetry?.(err, attempt + 1, delay);
    await sleep(delay);
  }

  stat(name: string): Promise<FileInfo> {
    return this.attempt(() => this.inner.stat(name));
  }

  put(name: string, source: PutSource): Promise<void> {
    return this.attempt(() => this.inner.put(name, source));
  }

  list(prefix: string): Promise<FileInfo[]> {
    return this.attempt(() => this.inner.list(prefix));
  }

  delete(name: string): Promise<void> {
    return this.attempt(async (attempt) => {
      try {
        await this.inner.delete(name);
      } catch (err) {
        if (attempt > 0 && err instanceof NotFoundError) return;
        throw err;
      }
    });
  }

  async get(name: string, range?: ByteRange): Promise<Readable> {
    let offset = range?.offset ?? 0;
    let remaining = range?.length;
    const first = await this.attempt(() => this.inner.get(name, range));
    const self = this;
    async function* resuming(): AsyncGenerator<Buffer> {
      let stream: Readable | undefined = first;
      for (let attempt = 0; ; ) {
        try {
          stream ??= await self.inner.get(name, remaining === undefined ? { offset } : { offset, length: remaining });
          for await (const chunk of stream) {
            const b = chunk as Buffer;
            offset += b.length;
            if (remaining !== undefined) remaining -= b.length;
            attempt = 0;
            yield b;
          }
          return;
        } catch (err) {
          stream?.destroy();
          stream = undefined;
          if (!isTransient(err) || attempt >= self.retries) throw err;
          await self.wait(err, attempt++);
        }
      }
    }
    const out = Readable.from(resuming(), { objectMode: false });
    out.once('close', () => first.destroy()); // a stream nobody read must still let go of its file
    return out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  localFile(name: string): string | undefined {
    return this.inner.localFile?.(name);
  }
}
