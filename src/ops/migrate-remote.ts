/**
 * Lifeboat on the target, driven over SSH exec: every step of a migration that happens there is
 * one run of the target's own `lifeboat` with --json (so the far side keeps its own locks,
 * checks and exit codes), and this class turns each run's output back into values and errors.
 *
 *   receive check     facts for the preflight               receive has     blobs the store holds
 *   receive stage     a pre-copy round's volumes, early     restore --start the container, from the temp repo
 *   receive verify    the verdict on it                     receive cleanup what a migration leaves behind
 *   cat >/dev/null    the link rate, nothing kept
 *
 * The command is `<--remote-lifeboat CMD> [--root DIR] ARGS... --json`; CMD is taken as a shell
 * command prefix (e.g. `node /opt/lifeboat/bin/lifeboat`), every argument is quoted. A shell that
 * cannot find CMD (126/127) means Lifeboat is not installed there (exit 13, a hint how to install
 * it); a Lifeboat without `receive` is too old; an error the far side reports as JSON comes back as
 * the same code and exit status, its message prefixed with "on <host>:".
 */
import { randomBytes } from 'node:crypto';
import { ExitCode, LifeboatError, UnreachableError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import { formatPort } from '../runtime/run-flags.js';
import type { ExecResult, SshSession } from './migrate-ssh.js';
import { shellQuote } from './migrate-ssh.js';
import type { CleanupReport, CleanupRequest, ContainerVerdict } from './migrate-receive-end.js';
import type { ReceiveFacts, ReceiveQuery } from './migrate-receive.js';
import type { StageResult } from './restore-stage.js';

export interface RemoteLifeboatOptions {
  /** The command that runs Lifeboat there, as a shell command prefix. Default `lifeboat`. */
  command?: string;
  /** Its store root (--root); absent: its own default. */
  root?: string;
  /** Warnings the far side prints. */
  onWarning?: (line: string) => void;
}

export interface RemoteRestoreRequest {
  backup: string;
  repo: string;
  name: string;
  volumeMap: string[];
  publish: string[];
  env: string[];
  start: boolean;
  /** The stage directory there, when a pre-copy round was staged (restore-stage.ts). */
  staged?: string;
}

export interface RemoteRestore {
  backup: string;
  container: { id: string; name: string };
  volumes: Array<{ name: string; created: boolean; patched?: boolean }>;
  started: boolean;
  durationMs: number;
}

const EXIT_CODES = new Set<number>(Object.values(ExitCode));
const INSTALL_HINT =
  'install Lifeboat there (Node 20+, then `npm ci` in a clone and put bin/lifeboat on the PATH of the SSH user), or name the command that runs it with --remote-lifeboat CMD';

export class RemoteLifeboat {
  readonly command: string;

  constructor(readonly ssh: SshSession, private readonly opts: RemoteLifeboatOptions = {}) {
    this.command = opts.command ?? 'lifeboat';
  }

  private line(args: string[]): string {
    const root = this.opts.root !== undefined ? ['--root', this.opts.root] : [];
    return [this.command, ...[...root, ...args, '--json'].map(shellQuote)].join(' ');
  }

  /** The error a failed run means. */
  private failure(args: string[], r: ExecResult): LifeboatError {
    const where = this.ssh.target.host;
    const what = `\`lifeboat ${args.slice(0, 2).join(' ')}\``;
    const tail = r.stderr.trim().split('\n').filter(Boolean);
    if (r.code === 126 || r.code === 127) {
      return new LifeboatError('LIFEBOAT_MISSING', ExitCode.UNREACHABLE, `Lifeboat does not run on ${where}: \`${this.command}\` was not found there (${tail.at(-1) ?? `exit ${r.code}`})`, { hint: INSTALL_HINT, data: { host: where, command: this.command } });
    }
    if (tail.some((l) => /unknown command '?receive'?/.test(l))) {
      return new LifeboatError('LIFEBOAT_TOO_OLD', ExitCode.UNREACHABLE, `the Lifeboat on ${where} is too old to receive migrations (it has no \`receive\` command)`, { hint: 'update Lifeboat there to this version', data: { host: where } });
    }
    const last = tail.at(-1) ?? '';
    if (last.startsWith('{')) {
      try {
        const e = JSON.parse(last) as { error?: unknown; message?: unknown; hint?: unknown; exitCode?: unknown };
        const exit = typeof e.exitCode === 'number' && EXIT_CODES.has(e.exitCode) ? (e.exitCode as ExitCode) : ExitCode.FAILURE;
        return new LifeboatError(typeof e.error === 'string' ? e.error : 'REMOTE_FAILED', exit, `on ${where}: ${String(e.message ?? 'failed')}`, {
          ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
          data: { host: where, remote: e },
        });
      } catch {
        /* not JSON after all */
      }
    }
    return new LifeboatError('REMOTE_FAILED', ExitCode.FAILURE, `${what} failed on ${where} (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}): ${tail.slice(-3).join(' / ') || 'no output'}`, { data: { host: where } });
  }

  /** Runs one Lifeboat command there; its stdout parsed as JSON when it exits with one of `ok`. */
  private async run<T>(args: string[], opts: { input?: string; timeoutMs?: number; ok?: number[] } = {}): Promise<T> {
    const r = await this.ssh.exec(this.line(args), {
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      onStderr: (l) => {
        if (l.startsWith('WARNING: ')) this.opts.onWarning?.(l.slice(9));
      },
    });
    if (!(opts.ok ?? [0]).includes(r.code)) throw this.failure(args, r);
    try {
      return JSON.parse(r.stdout.toString('utf8')) as T;
    } catch {
      throw new LifeboatError('REMOTE_FAILED', ExitCode.FAILURE, `${args.slice(0, 2).join(' ')} on ${this.ssh.target.host} printed no JSON result`, { data: { stdout: r.stdout.toString('utf8').slice(0, 500) } });
    }
  }

  facts(q: ReceiveQuery): Promise<ReceiveFacts> {
    const args = ['receive', 'check', '--container', q.container, ...q.volumes.flatMap((v) => ['--volume', v]), ...q.ports.map((p) => `--port=${formatPort({ ...p, hostPort: '' })}`), ...q.paths.flatMap((p) => ['--path', p])];
    return this.run<ReceiveFacts>(args, { timeoutMs: 60_000 });
  }

  async has(digests: Digest[]): Promise<Set<Digest>> {
    if (digests.length === 0) return new Set();
    return new Set(await this.run<Digest[]>(['receive', 'has'], { input: digests.join('\n') + '\n', timeoutMs: 60_000 }));
  }

  restore(req: RemoteRestoreRequest): Promise<RemoteRestore> {
    const args = ['restore', req.backup, '--from', req.repo, '--name', req.name, ...req.volumeMap.flatMap((v) => ['--volume', v]), ...req.publish.flatMap((p) => ['--publish', p]), ...req.env.flatMap((e) => ['--env', e]), ...(req.start ? ['--start'] : []), ...(req.staged !== undefined ? ['--staged', req.staged] : [])];
    return this.run<RemoteRestore>(args);
  }

  /** Restores a pre-copy round's volumes into the stage directory there, while the source still runs. */
  stage(req: { backup: string; repo: string; into: string; volumeMap: string[] }): Promise<StageResult> {
    return this.run<StageResult>(['receive', 'stage', req.backup, '--repo', req.repo, '--into', req.into, ...req.volumeMap.flatMap((v) => ['--volume', v])]);
  }

  /** The verdict; a failed one is a value here (the far side exits 8 with it on stdout). */
  verify(name: string, verifyTimeMs: number): Promise<ContainerVerdict> {
    return this.run<ContainerVerdict>(['receive', 'verify', name, '--time', `${verifyTimeMs}ms`], { timeoutMs: verifyTimeMs + 120_000, ok: [0, ExitCode.VERIFY_FAILED] });
  }

  cleanup(req: CleanupRequest): Promise<CleanupReport> {
    const args = [
      'receive', 'cleanup',
      ...(req.dir !== undefined ? ['--dir', req.dir] : []),
      ...(req.container !== undefined ? ['--container', req.container] : []),
      ...(req.volumes ?? []).flatMap((v) => ['--volume', v]),
      ...(req.image !== undefined ? ['--image', req.image] : []),
      ...(req.since !== undefined ? ['--since', req.since] : []),
    ];
    return this.run<CleanupReport>(args, { timeoutMs: 120_000 });
  }

  /**
   * Bytes per second the link carries, from `bytes` of incompressible data sent to `cat >/dev/null`
   * there (kept nowhere); a tiny send first measures the fixed cost of a command, which is taken off.
   */
  async linkRate(bytes = 8 * 1024 * 1024): Promise<number> {
    const send = async (n: number): Promise<number> => {
      const started = process.hrtime.bigint();
      const r = await this.ssh.exec('cat > /dev/null', { input: randomBytes(n), timeoutMs: 120_000 });
      if (r.code !== 0) throw new UnreachableError(`could not measure the link to ${this.ssh.target.host}: \`cat\` exited ${r.code}`);
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    const small = 16 * 1024;
    const fixed = await send(small);
    const secs = (await send(bytes)) - fixed;
    return (bytes - small) / Math.max(secs, 1e-3);
  }
}
