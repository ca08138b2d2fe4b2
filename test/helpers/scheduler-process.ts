/**
 * The real scheduler for integration tests: `lifeboat scheduler run` spawned as a child process
 * against a temp store and schedules directory, its stderr log collected line by line (tests wait
 * for "scheduler started", a job's result, the metrics address it bound on port 0), stopped by
 * signal with its exit status and time, and killed by pid in after() if a test left it running.
 * Also: a webhook receiver on 127.0.0.1:0 (node:http, or node:https with a certificate made by
 * `selfSignedCert`) that records every POST, and can answer the first few with 500 to exercise
 * retries; and JobSpecs declared as data for unit tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { JobSpec } from '../../src/scheduler/job-spec.js';
import { BIN, LAUNCHER } from './cli.js';

type T = { after: (fn: () => unknown) => void };

export interface SchedulerProcess {
  child: ChildProcess;
  pid: number;
  /** Every stderr line so far. */
  lines: string[];
  /** Resolves with the first line (from the start) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Lines matching `re`. */
  matching(re: RegExp): string[];
  /** http://127.0.0.1:PORT once it logged where metrics are. */
  metricsUrl(): Promise<string>;
  /** Sends `signal` and resolves with how it exited and how long that took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `launcher`: start it through bin/lifeboat rather than node on the compiled entry. */
export function startScheduler(t: T, opts: { root: string; schedules: string; args?: string[]; env?: Record<string, string>; launcher?: boolean }): SchedulerProcess {
  const env = { ...process.env, LIFEBOAT_ROOT: opts.root, LIFEBOAT_NO_PROGRESS: '1', ...opts.env };
  const argv = ['scheduler', 'run', '--schedules', opts.schedules, ...(opts.args ?? [])];
  const child = opts.launcher ? spawn(LAUNCHER, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, [BIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let buffer = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (process.env.LIFEBOAT_TEST_VERBOSE) process.stderr.write(`[scheduler ${child.pid}] ${line}\n`);
      for (const w of [...waiters]) if (w.re.test(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
    }
  });
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
  });
  const waitForLine = (re: RegExp, timeoutMs = 20_000) => {
    const seen = lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line matching ${re} within ${timeoutMs} ms; log:\n${lines.join('\n')}`)), timeoutMs);
      const onExit = () => setTimeout(() => reject(new Error(`the scheduler exited before logging ${re}; log:\n${lines.join('\n')}`)), 200);
      child.once('exit', onExit);
      waiters.push({ re, resolve: (l) => (clearTimeout(timer), child.off('exit', onExit), resolve(l)) });
    });
  };
  return {
    child,
    pid: child.pid!,
    lines,
    waitForLine,
    matching: (re) => lines.filter((l) => re.test(l)),
    metricsUrl: async () => /metrics on (http:\/\/\S+?)\/metrics/.exec(await waitForLine(/metrics on http/))![1]!,
    stop: async (signal = 'SIGTERM') => {
      const started = Date.now();
      process.kill(child.pid!, signal);
      const r = await exited;
      return { ...r, ms: Date.now() - started };
    },
    exited,
  };
}

export interface WebhookPost {
  path: string;
  body: Record<string, unknown>;
  at: number;
}

/**
 * A key and a self-signed certificate for 127.0.0.1 (openssl), as PEM files in `dir`; the
 * certificate is its own CA, so a client trusts it only when told to.
 */
export function selfSignedCert(dir: string): { key: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { key, cert };
}

/**
 * A webhook receiver on loopback; the first `failFirst` requests get a 500; `answer` answers every
 * one with that status (and `location`); `tls` (PEM files) makes it HTTPS.
 */
export async function webhookReceiver(t: T, opts: { failFirst?: number; answer?: number; location?: string; tls?: { key: string; cert: string } } = {}): Promise<{ url: string; posts: WebhookPost[]; attempts: () => number }> {
  const posts: WebhookPost[] = [];
  let attempts = 0;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      attempts++;
      if (opts.answer !== undefined) return void res.writeHead(opts.answer, opts.location ? { location: opts.location } : {}).end();
      if (attempts <= (opts.failFirst ?? 0)) return void res.writeHead(500).end('not now');
      posts.push({ path: req.url ?? '/', body: JSON.parse(body) as Record<string, unknown>, at: Date.now() });
      res.writeHead(204).end();
    });
  };
  const server = opts.tls ? createTlsServer({ key: readFileSync(opts.tls.key), cert: readFileSync(opts.tls.cert) }, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())));
  return { url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, posts, attempts: () => attempts };
}

/** A volume-snapshot job declared as data (unit tests). */
export function volumeJob(name: string, extra: Partial<JobSpec> = {}): JobSpec {
  return {
    name,
    cron: '* * * * * *',
    task: { kind: 'backup', containers: { names: [], labels: [] }, volumes: [`${name}-data`], consistency: { mode: 'pause' }, verify: false },
    timeoutMs: 60_000,
    catchUp: false,
    source: { file: 'test.yaml', line: 1, fields: {} },
    ...extra,
  };
}
