/**
 * Runs the real CLI (the compiled bin entry next to these tests) as a child process, the way users
 * run it, and returns what it printed and its exit status.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../src/cli/lifeboat.cjs', import.meta.url));
/** bin/lifeboat, the launcher users run (sh lines, then this build's entry). */
export const LAUNCHER = fileURLToPath(new URL('../../../bin/lifeboat', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  /** stdout byte for byte (for archives written to stdout). */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface CliOptions {
  root?: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function lifeboat(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, LIFEBOAT_NO_PROGRESS: '1', ...(opts.root ? { LIFEBOAT_ROOT: opts.root } : {}), ...opts.env };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  });
}

/** Like lifeboat(), but throws with the output when the exit status is not 0. */
export async function lifeboatOk(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await lifeboat(args, opts);
  if (r.code !== 0) throw new Error(`lifeboat ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}
