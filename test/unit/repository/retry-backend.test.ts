/**
 * RetryBackend and LimitBackend around a deliberately flaky backend: transient failures are
 * retried with backoff, permanent ones (auth, missing, no space) are not, a stream cut mid-way
 * resumes from the byte where it broke, and the limiter never lets more than n through.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { AuthError, NotFoundError, UnreachableError } from '../../../src/core/errors.js';
import { getBytes, type Backend, type ByteRange, type FileInfo, type PutSource } from '../../../src/repository/backend.js';
import { LimitBackend } from '../../../src/repository/backends/limit-backend.js';
import { RetryBackend, backoffDelay } from '../../../src/repository/backends/retry-backend.js';

class Flaky implements Backend {
  readonly location = 'flaky';
  calls = 0;
  active = 0;
  maxActive = 0;
  constructor(private readonly fail: (call: number) => Error | undefined, private readonly data = Buffer.alloc(0), private readonly cutAt = -1) {}
  private async step(): Promise<void> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    await new Promise((r) => setTimeout(r, 5));
    this.active--;
    const err = this.fail(this.calls);
    if (err) throw err;
  }
  async stat(name: string): Promise<FileInfo> {
    await this.step();
    return { name, size: this.data.length };
  }
  async get(_name: string, range?: ByteRange): Promise<Readable> {
    await this.step();
    const start = range?.offset ?? 0;
    const end = range?.length === undefined ? this.data.length : start + range.length;
    const cut = this.cutAt > start && this.cutAt < end && this.calls === 1 ? this.cutAt : -1;
    const data = this.data;
    return Readable.from(
      (async function* (): AsyncGenerator<Buffer> {
        if (cut < 0) {
          yield data.subarray(start, end);
          return;
        }
        yield data.subarray(start, cut);
        throw new UnreachableError('link cut mid-read');
      })(),
      { objectMode: false },
    );
  }
  async put(_n: string, _s: PutSource): Promise<void> {
    await this.step();
  }
  async list(): Promise<FileInfo[]> {
    await this.step();
    return [];
  }
  async delete(): Promise<void> {
    await this.step();
  }
  async close(): Promise<void> {}
}

const quick = { baseMs: 1, maxMs: 5 };

test('transient failures are retried until they pass', async () => {
  const inner = new Flaky((n) => (n < 3 ? new UnreachableError('connection reset') : undefined));
  const retried: number[] = [];
  await new RetryBackend(inner, { ...quick, onRetry: (_e, attempt) => retried.push(attempt) }).put('x', Buffer.alloc(1));
  assert.equal(inner.calls, 3);
  assert.deepEqual(retried, [1, 2]);
});

test('auth, host-key and not-found failures are not retried', async () => {
  for (const err of [new AuthError('denied', { code: 'HOST_KEY_CHANGED' }), new NotFoundError('repository file', 'x')]) {
    const inner = new Flaky(() => err);
    await assert.rejects(new RetryBackend(inner, quick).stat('x'), err.constructor as typeof Error);
    assert.equal(inner.calls, 1);
  }
});

test('retries give up after the limit with the last error', async () => {
  const inner = new Flaky(() => Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
  await assert.rejects(new RetryBackend(inner, { ...quick, retries: 3 }).list('data'), /refused/);
  assert.equal(inner.calls, 4);
});

test('a read cut mid-way resumes from the byte where it broke', async () => {
  const data = Buffer.from('0123456789abcdefghij');
  const inner = new Flaky(() => undefined, data, 8);
  assert.deepEqual(await getBytes(new RetryBackend(inner, quick), 'x', { offset: 2, length: 15 }, 100), data.subarray(2, 17));
  assert.equal(inner.calls, 2);
});

test('a delete whose answer was lost counts as done when the retry finds the file gone', async () => {
  const inner = new Flaky((n) => (n === 1 ? new UnreachableError('lost') : new NotFoundError('repository file', 'x')));
  await new RetryBackend(inner, quick).delete('x');
});

test('backoff grows exponentially with jitter, capped', () => {
  for (let a = 0; a < 10; a++) {
    const d = backoffDelay(a, 100, 2000);
    const full = Math.min(2000, 100 * 2 ** a);
    assert.ok(d >= full / 2 && d <= full, `${d} for attempt ${a}`);
  }
});

test('the limiter lets at most n operations through at once', async () => {
  const inner = new Flaky(() => undefined);
  const limited = new LimitBackend(inner, 3);
  await Promise.all(Array.from({ length: 20 }, () => limited.stat('x')));
  assert.equal(inner.maxActive, 3);
});
