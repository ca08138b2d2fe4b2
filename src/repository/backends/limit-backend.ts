/**
 * Decorator: at most `n` operations of the wrapped backend at once (restic's connection limit).
 * A get() holds its slot until its stream ends, errors or is destroyed, because that is when the
 * transfer really happens. Callers must not hold `n` streams open while waiting for another one.
 */
import type { Readable } from 'node:stream';
import type { Backend, ByteRange, FileInfo, PutSource } from '../backend.js';
import { Semaphore } from '../../core/semaphore.js';

export class LimitBackend implements Backend {
  private readonly slots: Semaphore;

  constructor(private readonly inner: Backend, limit: number) {
    this.slots = new Semaphore(limit);
  }

  get location(): string {
    return this.inner.location;
  }

  stat(name: string): Promise<FileInfo> {
    return this.slots.run(() => this.inner.stat(name));
  }

  async get(name: string, range?: ByteRange): Promise<Readable> {
    const release = await this.slots.acquire();
    try {
      const stream = await this.inner.get(name, range);
      stream.once('close', release);
      stream.once('end', release);
      stream.once('error', release);
      return stream;
    } catch (err) {
      release();
      throw err;
    }
  }

  put(name: string, source: PutSource): Promise<void> {
    return this.slots.run(() => this.inner.put(name, source));
  }

  list(prefix: string): Promise<FileInfo[]> {
    return this.slots.run(() => this.inner.list(prefix));
  }

  delete(name: string): Promise<void> {
    return this.slots.run(() => this.inner.delete(name));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  localFile(name: string): string | undefined {
    return this.inner.localFile?.(name);
  }
}
