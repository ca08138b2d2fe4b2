/**
 * A repository on any host that speaks SFTP (OpenSSH's sshd, `internal-sftp`, rclone serve sftp).
 *
 * The connection (ssh2-sftp-client over ssh2) opens on first use and again after it is lost, so
 * the retry decorator only has to ask again. put() writes `.<name>.tmp-<random>` (0600, parent
 * directories created 0700 on demand) with many WRITEs in flight, fsyncs it (fsync@openssh.com),
 * closes it and renames it over the final name with posix-rename@openssh.com, which replaces an
 * existing file atomically; on servers without that extension a plain rename is used, and an
 * existing target is removed first (a brief window without the file, only for overwrites, which
 * content-addressed files never need). A cut connection leaves only the temp file behind.
 *
 * Errors: SFTP "no such file" → NotFoundError, "permission denied" → PermissionError, a lost or
 * refused connection → UnreachableError (retried by RetryBackend), anything else → SFTP_FAILURE.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import type { SFTPWrapper, Stats } from 'ssh2';
import { ExitCode, LifeboatError, NotFoundError, PermissionError, SizeMismatchError, UnreachableError } from '../../core/errors.js';
import { checkName, checkPrefix, sourceSize, tempNameFor, type Backend, type ByteRange, type FileInfo, type PutSource } from '../backend.js';
import { forEachLimit } from '../../core/semaphore.js';
import { RangeReader, SessionGuard, endClient, req, type Channel, sftpClose, sftpFsync, sftpOpen, sftpRename, sftpSize, writeAll } from './sftp-io.js';
import { locationText, type SftpLocation } from './location.js';
import { connectError, sshConfig, type HostCheck, type SshOptions } from './ssh-connect.js';

const STATUS_NO_SUCH_FILE = 2;
const STATUS_PERMISSION_DENIED = 3;
const STATUS_FAILURE = 4;
const LOST = /No response from server|Not connected|connection lost|No SFTP connection|ECONNRESET|socket|Keepalive timeout|channel/i;

interface Session {
  client: SftpClient;
  ch: Channel;
  alive: boolean;
  dirs: Set<string>;
}

type StatusError = Error & { code?: number | string };


export class SftpBackend implements Backend {
  readonly location: string;
  private session: Promise<Session> | undefined;

  constructor(private readonly target: SftpLocation, private readonly opts: SshOptions = {}) {
    this.location = locationText({ kind: 'sftp', ...target });
  }

  private connect(): Promise<Session> {
    if (this.session) return this.session;
    const p = (async () => {
      const check: HostCheck = {};
      let lastError: unknown;
      let session: Session | undefined;
      const requests = new SessionGuard();
      const dead = () => {
        if (session) session.alive = false;
        requests.kill(new Error('connection lost'));
      };
      const client = new SftpClient('lifeboat', { error: dead, end: dead, close: dead });
      client.on('error', (err: unknown) => (lastError ??= err));
      client.on('close', dead);
      try {
        const sftp = await client.connect(await sshConfig(this.target, this.opts, check));
        sftp.on('close', dead);
        session = { client, ch: { sftp, guard: requests.guard }, alive: true, dirs: new Set() };
        return session;
      } catch (err) {
        await endClient(client);
        throw connectError(lastError ?? err, this.target, check, this.opts);
      }
    })();
    this.session = p;
    p.catch(() => {
      if (this.session === p) this.session = undefined;
    });
    return p;
  }

  private abs(name: string): string {
    return posix.join(this.target.path, checkName(name));
  }

  private mapError(err: unknown, session: Session | undefined, what: string): unknown {
    if (err instanceof LifeboatError) return err;
    const e = err as StatusError;
    if (e?.code === STATUS_NO_SUCH_FILE) return new NotFoundError('repository file', what, { cause: err });
    if (e?.code === STATUS_PERMISSION_DENIED) return new PermissionError(`${this.location}: ${what}: permission denied`, { cause: err });
    if (session && (!session.alive || LOST.test(e?.message ?? '') || e?.code === 6 || e?.code === 7)) {
      session.alive = false;
      void this.drop(session);
      return new UnreachableError(`lost the connection to ${this.target.host}:${this.target.port}`, { cause: err, data: { host: this.target.host } });
    }
    return new LifeboatError('SFTP_FAILURE', ExitCode.FAILURE, `${this.location}: ${what}: ${e?.message ?? String(err)}`, { cause: err });
  }

  private async drop(session: Session): Promise<void> {
    session.alive = false;
    if (this.session && (await this.session.catch(() => undefined)) === session) this.session = undefined;
    await endClient(session.client);
  }

  /** Runs `fn` on a live session, mapping its failures. */
  private async op<T>(what: string, fn: (ch: Channel, session: Session) => Promise<T>): Promise<T> {
    const session = await this.connect();
    if (!session.alive) {
      await this.drop(session);
      return this.op(what, fn);
    }
    try {
      return await fn(session.ch, session);
    } catch (err) {
      throw this.mapError(err, session, what);
    }
  }

  async stat(name: string): Promise<FileInfo> {
    const st = await this.op(name, (ch) => req<Stats>(ch, (sftp, cb) => sftp.stat(this.abs(name), cb)));
    if (!st.isFile()) throw new NotFoundError('repository file', name);
    return { name, size: st.size, mtimeMs: st.mtime * 1000 };
  }

  async get(name: string, range?: ByteRange): Promise<Readable> {
    return this.op(name, async (ch, session) => {
      const handle = await sftpOpen(ch, this.abs(name), 'r');
      const start = range?.offset ?? 0;
      const end = range?.length !== undefined ? start + range.length : await sftpSize(ch, handle);
      const reader = new RangeReader(ch, handle, start, end, (err) => this.mapError(err, session, name) as Error);
      return reader;
    });
  }

  async put(name: string, source: PutSource): Promise<void> {
    const target = this.abs(name);
    const tmp = this.abs(tempNameFor(name));
    let stage = 'opening';
    try {
      await this.op(name, async (ch, session) => {
        try {
          let handle: Buffer;
          try {
            handle = await sftpOpen(ch, tmp, 'w', 0o600);
          } catch (err) {
            if ((err as StatusError).code !== STATUS_NO_SUCH_FILE) throw err;
            stage = 'creating directories for';
            await this.mkdirs(ch, session, posix.dirname(tmp));
            stage = 'opening';
            handle = await sftpOpen(ch, tmp, 'w', 0o600);
          }
          let written: number;
          try {
            stage = 'writing';
            written = await writeAll(ch, handle, source instanceof Uint8Array ? source : await source.open());
            stage = 'syncing';
            await sftpFsync(ch, handle);
          } finally {
            stage = 'closing';
            if (session.alive) await sftpClose(ch, handle);
          }
          if (written !== sourceSize(source)) throw new SizeMismatchError(sourceSize(source), written, `upload of ${name}`);
          stage = 'renaming';
          try {
            await sftpRename(ch, tmp, target);
          } catch (err) {
            if ((err as StatusError).code !== STATUS_FAILURE) throw err;
            await req<void>(ch, (sftp, cb) => sftp.unlink(target, cb)).catch(() => undefined); // plain rename refuses an existing target
            await req<void>(ch, (sftp, cb) => sftp.rename(tmp, target, cb));
          }
        } catch (err) {
          if (session.alive) await req<void>(ch, (sftp, cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
          throw err;
        }
      });
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'SFTP_FAILURE') throw new LifeboatError('SFTP_FAILURE', ExitCode.FAILURE, `${err.message} (while ${stage} the upload)`, { cause: err.cause });
      throw err;
    }
  }

  /** mkdir -p, 0700; tolerant of a concurrent put creating the same directory. */
  private async mkdirs(ch: Channel, session: Session, dir: string): Promise<void> {
    if (session.dirs.has(dir) || dir === '/' || dir === '.' || dir === '') return;
    const mkdir = () => req<void>(ch, (sftp, cb) => sftp.mkdir(dir, { mode: 0o700 }, cb));
    const isDir = () => req<Stats>(ch, (sftp, cb) => sftp.stat(dir, cb)).then((st) => st.isDirectory(), () => false);
    try {
      await mkdir();
    } catch (err) {
      if ((err as StatusError).code === STATUS_NO_SUCH_FILE) {
        await this.mkdirs(ch, session, posix.dirname(dir));
        await mkdir().catch(async (again: unknown) => {
          if (!(await isDir())) throw again;
        });
      } else if (!(await isDir())) throw err;
    }
    session.dirs.add(dir);
  }

  async list(prefix: string): Promise<FileInfo[]> {
    const p = checkPrefix(prefix);
    return this.op(p || '.', async (ch) => {
      const out: FileInfo[] = [];
      const walk = async (rel: string): Promise<void> => {
        let entries;
        try {
          entries = await req<Array<{ filename: string; attrs: Stats }>>(ch, (sftp, cb) => sftp.readdir(rel === '' ? this.target.path : posix.join(this.target.path, rel), cb));
        } catch (err) {
          if ((err as StatusError).code === STATUS_NO_SUCH_FILE) return;
          throw err;
        }
        const dirs: string[] = [];
        for (const e of entries) {
          if (e.filename === '.' || e.filename === '..') continue;
          const child = rel === '' ? e.filename : `${rel}/${e.filename}`;
          if (e.attrs.isDirectory()) dirs.push(child);
          else if (e.attrs.isFile()) out.push({ name: child, size: e.attrs.size, mtimeMs: e.attrs.mtime * 1000 });
        }
        await forEachLimit(dirs, 16, walk);
      };
      await walk(p);
      return out;
    });
  }

  async delete(name: string): Promise<void> {
    await this.stat(name); // unlink on a directory answers FAILURE; say NotFound like the other backends
    await this.op(name, (ch) => req<void>(ch, (sftp, cb) => sftp.unlink(this.abs(name), cb)));
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    const session = await s?.catch(() => undefined);
    if (session) await endClient(session.client);
  }
}
