/**
 * Commands on another host over SSH: the exec half of a migration (the SFTP half is the
 * repository backend). One SSH connection, opened the way every Lifeboat connection is
 * (repository/backends/ssh-connect.ts: known_hosts checked, key or agent, TCP no-delay), reopened
 * on the next command after it is lost, so a caller that waits for a cut link only has to ask
 * again.
 *
 * A command is one string for the remote user's shell (as `ssh host CMD` sends it): arguments
 * are quoted here with shellQuote(). stdin is written whole and closed; stdout is collected as
 * bytes, stderr as text and also handed line by line to `onStderr` (progress of the far side).
 * A connection lost while a command runs rejects with UnreachableError: the command may or may
 * not have finished over there, which the caller has to take into account.
 */
import { Client, type ClientChannel } from 'ssh2';
import { UnreachableError } from '../core/errors.js';
import { connectError, sshConfig, type HostCheck, type SshOptions, type SshTarget } from '../repository/backends/ssh-connect.js';

export interface ExecResult {
  /** The exit status; 255 when the far side reported a signal instead. */
  code: number;
  signal?: string;
  stdout: Buffer;
  stderr: string;
}

export interface ExecOptions {
  input?: string | Buffer;
  /** Gives up (UnreachableError) when the command has not finished by then. */
  timeoutMs?: number;
  onStderr?: (line: string) => void;
}

/** One argument for a POSIX shell, quoted only when it needs to be. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export class SshSession {
  private client: Promise<Client> | undefined;

  constructor(readonly target: SshTarget, private readonly opts: SshOptions = {}) {}

  /** `user@host:port`, for messages. */
  get where(): string {
    return `${this.target.user}@${this.target.host}:${this.target.port}`;
  }

  private connect(): Promise<Client> {
    if (this.client) return this.client;
    const p = (async () => {
      const check: HostCheck = {};
      const client = new Client();
      let lastError: unknown;
      const config = await sshConfig(this.target, this.opts, check);
      return new Promise<Client>((resolve, reject) => {
        const lost = () => {
          if (this.client === p) this.client = undefined;
        };
        client.once('ready', () => {
          client.on('close', lost);
          client.on('error', lost);
          resolve(client);
        });
        client.on('error', (err) => {
          lastError ??= err;
          lost();
          reject(connectError(lastError, this.target, check, this.opts));
        });
        client.once('close', () => {
          lost();
          reject(connectError(lastError ?? new Error('connection closed'), this.target, check, this.opts));
        });
        client.connect(config);
      });
    })();
    this.client = p;
    p.catch(() => {
      if (this.client === p) this.client = undefined;
    });
    return p;
  }

  /** Opens the connection now (preflight: an unknown host key or a dead host is found here). */
  async open(): Promise<void> {
    await this.connect();
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const client = await this.connect();
    return new Promise<ExecResult>((resolve, reject) => {
      const lostError = (why: string) => new UnreachableError(`lost the connection to ${this.where} ${why}`, { hint: 'the command may or may not have completed there' });
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.off('close', onClose);
        fn();
      };
      const onClose = () => finish(() => reject(lostError('while a command ran')));
      const timer = setTimeout(() => {
        finish(() => reject(lostError(`after ${Math.round((opts.timeoutMs ?? 0) / 1000)}s waiting for a command`)));
        client.end(); // the channel cannot be trusted any more; the next command reconnects
      }, opts.timeoutMs ?? 2 ** 31 - 1);
      client.once('close', onClose);
      client.exec(command, (err: Error | undefined, ch: ClientChannel) => {
        if (err) return finish(() => reject(lostError(`opening a command channel (${err.message})`)));
        const out: Buffer[] = [];
        let stderr = '';
        let pending = '';
        let code = 255;
        let signal: string | undefined;
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => {
          const text = d.toString('utf8');
          stderr += text;
          pending += text;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) opts.onStderr?.(line);
        });
        ch.on('exit', (c: number | null, sig?: string) => {
          if (typeof c === 'number') code = c;
          if (sig) signal = sig;
        });
        ch.on('close', () => {
          if (pending) opts.onStderr?.(pending);
          finish(() => resolve({ code, ...(signal ? { signal } : {}), stdout: Buffer.concat(out), stderr }));
        });
        ch.end(opts.input ?? '');
      });
    });
  }

  async close(): Promise<void> {
    const p = this.client;
    this.client = undefined;
    const client = await p?.catch(() => undefined);
    client?.end();
  }
}
