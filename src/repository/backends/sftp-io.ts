/**
 * Fast file transfer over one SFTP session. SFTP pays a round trip per request, so both directions
 * keep many requests in flight (as ssh2's fastPut/fastGet do, but from and to memory and streams):
 *
 * - `writeAll` sends a buffer or a stream as PIECE-sized WRITEs at explicit offsets, at most
 *   WRITE_WINDOW outstanding, and waits for every acknowledgement before returning.
 * - `RangeReader` is a Readable over [start, end) that keeps READ_WINDOW READs ahead and pushes
 *   the answers in order, with backpressure; short reads are completed with follow-up READs.
 *
 * Every request goes through `Channel.guard`, which fails it as soon as the session dies: ssh2 never
 * answers a request sent after its channel closed, and a promise nobody settles would let the
 * process drift out of its event loop with the work half done.
 *
 * These helpers speak SFTP status codes; SftpBackend turns them into Lifeboat errors.
 */
import { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import { setTimeout as sleep } from 'node:timers/promises';

/** One SFTP session and the guard that fails its requests once the session is gone. */
export interface Channel {
  sftp: SFTPWrapper;
  guard<T>(request: Promise<T>): Promise<T>;
}

/**
 * The requests of one session that are still waiting, so its death can fail them all. Not
 * `Promise.race([request, died])`: every race leaves a reaction on `died`, which holds the race's
 * result (a 64 KiB read) for as long as the session lives; a 500 MB restore over SFTP kept ~400 MiB
 * of answered reads alive that way. Here a request forgets its entry the moment it settles.
 */
export class SessionGuard {
  private readonly waiting = new Set<(err: Error) => void>();
  private dead: Error | undefined;

  readonly guard = <T>(request: Promise<T>): Promise<T> => {
    if (this.dead) {
      request.catch(() => undefined);
      return Promise.reject(this.dead);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      request.then(
        (value) => {
          this.waiting.delete(reject);
          resolve(value);
        },
        (err: unknown) => {
          this.waiting.delete(reject);
          reject(err);
        },
      );
    });
  };

  /** Fails every waiting request, and every later one, with `err`. */
  kill(err: Error): void {
    this.dead ??= err;
    for (const reject of this.waiting) reject(this.dead);
    this.waiting.clear();
  }

  /** Requests still waiting (for tests). */
  get size(): number {
    return this.waiting.size;
  }
}

export const PIECE = 128 * 1024;
const WRITE_WINDOW = 32;
const READ_PIECE = 64 * 1024;
const READ_WINDOW = 16;

export function sftpOpen({ sftp, guard }: Channel, path: string, flags: 'r' | 'w', mode?: number): Promise<Buffer> {
  return guard(
    new Promise((resolve, reject) => {
      const cb = (err: Error | undefined, handle: Buffer) => (err ? reject(err) : resolve(handle));
      if (mode === undefined) sftp.open(path, flags, cb);
      else sftp.open(path, flags, { mode }, cb);
    }),
  );
}

export function sftpClose({ sftp, guard }: Channel, handle: Buffer): Promise<void> {
  return guard(new Promise((resolve, reject) => sftp.close(handle, (err) => (err ? reject(err) : resolve()))));
}

export function sftpSize({ sftp, guard }: Channel, handle: Buffer): Promise<number> {
  return guard(new Promise((resolve, reject) => sftp.fstat(handle, (err, st) => (err ? reject(err) : resolve(st.size)))));
}

/** fsync@openssh.com when the server offers it; a no-op otherwise. */
export function sftpFsync({ sftp, guard }: Channel, handle: Buffer): Promise<void> {
  return guard(
    new Promise((resolve, reject) => {
      try {
        sftp.ext_openssh_fsync(handle, (err) => (err ? reject(err) : resolve()));
      } catch {
        resolve(); // "Server does not support this extended request"
      }
    }),
  );
}

/** Renames over an existing file atomically with posix-rename@openssh.com; plain SFTP rename otherwise. */
export function sftpRename({ sftp, guard }: Channel, from: string, to: string): Promise<'posix' | 'plain'> {
  return guard(
    new Promise((resolve, reject) => {
      try {
        sftp.ext_openssh_rename(from, to, (err) => (err ? reject(err) : resolve('posix')));
      } catch {
        sftp.rename(from, to, (err) => (err ? reject(err) : resolve('plain')));
      }
    }),
  );
}

function writeAt({ sftp, guard }: Channel, handle: Buffer, buf: Buffer, position: number): Promise<void> {
  return guard(new Promise((resolve, reject) => sftp.write(handle, buf, 0, buf.length, position, (err) => (err ? reject(err) : resolve()))));
}

/** Writes every byte of `source` from offset 0; returns the count. Rejects with the first failed WRITE. */
export async function writeAll(ch: Channel, handle: Buffer, source: Uint8Array | AsyncIterable<Uint8Array>): Promise<number> {
  const inflight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let position = 0;
  const send = async (piece: Buffer): Promise<void> => {
    while (inflight.size >= WRITE_WINDOW) await Promise.race(inflight);
    if (failure) throw failure.err;
    const p: Promise<void> = writeAt(ch, handle, piece, position).then(
      () => void inflight.delete(p),
      (err: unknown) => {
        inflight.delete(p);
        failure ??= { err };
      },
    );
    inflight.add(p);
    position += piece.length;
  };
  try {
    if (source instanceof Uint8Array) {
      const all = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
      for (let off = 0; off < all.length; off += PIECE) await send(all.subarray(off, off + PIECE));
    } else {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of source) {
        let b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        while (b.length > 0) {
          const take = Math.min(PIECE - pendingBytes, b.length);
          pending.push(b.subarray(0, take));
          pendingBytes += take;
          b = b.subarray(take);
          if (pendingBytes === PIECE) {
            await send(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
            pending = [];
            pendingBytes = 0;
          }
        }
      }
      if (pendingBytes > 0) await send(Buffer.concat(pending));
    }
  } finally {
    await Promise.all(inflight);
  }
  if (failure) throw failure.err;
  return position;
}

function readAt({ sftp, guard }: Channel, handle: Buffer, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  return guard(new Promise((resolve, reject) => sftp.read(handle, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(buf.subarray(0, n))))));
}

/** Reads up to `length` bytes at `position`, issuing follow-up READs after short answers; shorter only at EOF. */
async function readPiece(ch: Channel, handle: Buffer, length: number, position: number): Promise<Buffer> {
  const first = await readAt(ch, handle, length, position);
  if (first.length === length || first.length === 0) return first;
  const parts = [first];
  let got = first.length;
  while (got < length) {
    const more = await readAt(ch, handle, length - got, position + got);
    if (more.length === 0) break;
    parts.push(more);
    got += more.length;
  }
  return Buffer.concat(parts, got);
}

/** A stream of [start, end) of an open handle, READ_WINDOW requests ahead. Closes the handle when done. */
export class RangeReader extends Readable {
  private next: number;
  private readonly ahead: Array<Promise<Buffer>> = [];
  private pumping = false;
  private handleClosed = false;

  constructor(
    private readonly ch: Channel,
    private readonly handle: Buffer,
    start: number,
    private readonly end: number,
    private readonly mapError: (err: unknown) => Error = (err) => err as Error,
  ) {
    super({ highWaterMark: READ_PIECE * 4 });
    this.next = start;
  }

  private fill(): void {
    while (this.ahead.length < READ_WINDOW && this.next < this.end) {
      const len = Math.min(READ_PIECE, this.end - this.next);
      const p = readPiece(this.ch, this.handle, len, this.next);
      p.catch(() => undefined); // surfaced when its turn comes
      this.ahead.push(p);
      this.next += len;
    }
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        this.fill();
        const p = this.ahead.shift();
        if (!p) {
          this.push(null);
          return;
        }
        const buf = await p;
        if (buf.length === 0) {
          this.ahead.length = 0;
          this.next = this.end;
          continue; // EOF before `end`: the file is shorter; consumers that know the size will notice
        }
        if (!this.push(buf)) return;
      }
    } catch (err) {
      this.destroy(this.mapError(err));
    } finally {
      this.pumping = false;
    }
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.handleClosed) return cb(err);
    this.handleClosed = true;
    sftpClose(this.ch, this.handle).then(
      () => cb(err),
      () => cb(err),
    );
  }
}

/**
 * Ends a client without hanging: ssh2-sftp-client's end() waits for a 'close' event that never
 * comes when the connection is already gone.
 */
export async function endClient(client: SftpClient): Promise<void> {
  const timer = new AbortController(); // a pending 1 s timer would keep the CLI alive after its work
  await Promise.race([client.end().catch(() => undefined), sleep(1000, undefined, { signal: timer.signal }).catch(() => undefined)]);
  timer.abort();
}

/** One SFTP request as a promise, failed at once if the session dies first. */
export function req<T>(ch: Channel, fn: (sftp: SFTPWrapper, cb: (err: Error | undefined | null, value: T) => void) => void): Promise<T> {
  return ch.guard(new Promise((resolve, reject) => fn(ch.sftp, (err, value) => (err ? reject(err) : resolve(value)))));
}
