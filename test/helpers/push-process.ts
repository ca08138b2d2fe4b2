/**
 * Runs repo-push-child.js (optionally inside a network namespace) and watches its output: the test
 * can kill it after N packs, and gets the packs seen, the final report or the error.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CopyReport } from '../../src/repository/push.js';
import type { PushJob } from './repo-push-child.js';

export const PUSH_CHILD = fileURLToPath(new URL('./repo-push-child.js', import.meta.url));

export interface PushRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  packs: string[];
  report?: CopyReport;
  error?: string;
  output: string;
}

export interface PushRunOptions {
  /** SIGKILL the child once this many packs have arrived. */
  killAfterPacks?: number;
  /** Run inside this network namespace. */
  netns?: string;
  /** Called once per arrived pack (e.g. to cut the link). */
  onPack?: (n: number) => void;
  timeoutMs?: number;
}

export function runPush(job: PushJob, opts: PushRunOptions = {}): Promise<PushRun> {
  return new Promise((resolve, reject) => {
    const argv = [process.execPath, PUSH_CHILD];
    const child = opts.netns ? spawn('ip', ['netns', 'exec', opts.netns, ...argv], { env: { ...process.env, LB_PUSH: JSON.stringify(job) } }) : spawn(argv[0]!, argv.slice(1), { env: { ...process.env, LB_PUSH: JSON.stringify(job) } });
    const run: PushRun = { code: null, signal: null, packs: [], output: '' };
    let buf = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d: Buffer) => {
      run.output += d.toString();
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('PACK ')) {
          run.packs.push(line.split(' ')[1]!);
          opts.onPack?.(run.packs.length);
          if (opts.killAfterPacks !== undefined && run.packs.length >= opts.killAfterPacks) child.kill('SIGKILL');
        } else if (line.startsWith('REPORT ')) run.report = JSON.parse(line.slice(7)) as CopyReport;
        else if (line.startsWith('ERROR ')) run.error = line.slice(6);
      }
    });
    child.stderr.on('data', (d: Buffer) => (run.output += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
}
