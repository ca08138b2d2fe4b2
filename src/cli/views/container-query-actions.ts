/**
 * The bodies of the container commands that read or enter a container: ps, logs, top, exec, wait
 * and info. cli/commands/containers.ts declares the commands and loads this file only when one of
 * them runs.
 */
import type { Cli } from '../command.js';
import { UsageError } from '../../core/errors.js';
import { humanSize } from '../../core/units.js';
import { ContainerStore } from '../../runtime/container-store.js';
import { isActive } from '../../runtime/container-record.js';
import { listWithState, reconcile } from '../../runtime/liveness.js';
import { psColumns, psJson, selectRows } from './container-ps.js';

export interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  filter?: string[];
  trunc?: boolean;
  last?: string;
  latest?: boolean;
}
export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
}
export interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
}

export async function psAction(cli: Cli, o: PsFlags): Promise<void> {
  const store = new ContainerStore(cli.root);
  const last = o.latest ? 1 : o.last !== undefined ? Number(o.last) : undefined;
  if (last !== undefined && !Number.isInteger(last)) throw new UsageError(`invalid --last value "${o.last}"`);
  const rows = selectRows(await listWithState(store), { ...(o.all ? { all: true } : {}), filters: o.filter ?? [], ...(last !== undefined ? { last } : {}) });
  const noTrunc = o.trunc === false;
  if (o.quiet) {
    const ids = rows.map((r) => (noTrunc ? r.rec.id : r.rec.id.slice(0, 12)));
    return cli.print(ids, ids.map((i) => `${i}\n`).join(''));
  }
  const now = Date.now();
  cli.table(rows, psColumns(noTrunc, now), (r) => psJson(r, now));
}

/** --since: a timestamp (2026-11-22T10:00:00Z), or a duration back from now (10m). */
function sinceTime(text: string | undefined, parseDuration: (t: string) => number): string | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return new Date(Date.now() - parseDuration(text)).toISOString();
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new UsageError(`invalid --since value "${text}" (a duration like 10m, or a timestamp)`);
  return new Date(t).toISOString();
}

export async function logsAction(cli: Cli, name: string, o: LogsFlags): Promise<void> {
  const { readLogs } = await import('../../runtime/log-reader.js');
  const { parseDuration } = await import('../../core/units.js');
  const store = new ContainerStore(cli.root);
  const rec = await store.resolve(name);
  const tail = o.tail === undefined || o.tail === 'all' ? undefined : Number(o.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`invalid --tail value "${o.tail}"`);
  const since = sinceTime(o.since, parseDuration);
  const lines = readLogs(store.paths(rec.id).log, {
    ...(tail !== undefined ? { tail } : {}),
    ...(since !== undefined ? { since } : {}),
    follow: !!o.follow,
    stillRunning: async () => isActive((await reconcile(store, rec).catch(() => ({ status: 'exited' as const }))).status),
  });
  for await (const l of lines) (l.stream === 'stdout' ? process.stdout : process.stderr).write(o.timestamps ? `${l.time} ${l.log}` : l.log);
}

export async function topAction(cli: Cli, name: string, psArgs: string[]): Promise<void> {
  const { topContainer } = await import('../../runtime/top.js');
  const { formatTable } = await import('../output.js');
  const store = new ContainerStore(cli.root);
  const rec = await store.resolve(name);
  const r = await topContainer(rec, await reconcile(store, rec), psArgs);
  cli.print(r, () => formatTable(r.titles, r.processes));
}

export async function execAction(cli: Cli, name: string, args: string[], o: ExecFlags): Promise<void> {
  const { spawnExec } = await import('../../runtime/exec.js');
  const { exitCodeOf } = await import('../../runtime/signals.js');
  const store = new ContainerStore(cli.root);
  const rec = await store.resolve(name);
  if (o.tty) process.stderr.write('WARNING: Lifeboat does not allocate a TTY; the command runs without one\n');
  const opts = { args, ...(o.env ? { env: o.env } : {}), ...(o.user !== undefined ? { user: o.user } : {}), ...(o.workdir !== undefined ? { workdir: o.workdir } : {}) };
  const child = await spawnExec(rec, await reconcile(store, rec), opts, o.detach ? 'ignore' : [o.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'], !!o.detach);
  if (o.detach) {
    child.unref();
    return;
  }
  const forward = (s: NodeJS.Signals) => child.kill(s);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (c, s) => resolve({ code: c, signal: s })));
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  process.exitCode = exitCodeOf(code, signal);
}

export async function waitAction(cli: Cli, names: string[]): Promise<void> {
  const { waitForExit } = await import('../../runtime/lifecycle.js');
  const store = new ContainerStore(cli.root);
  const codes: number[] = [];
  for (const name of names) {
    const rec = await store.resolve(name);
    const state = await waitForExit(store, rec, Number.MAX_SAFE_INTEGER);
    codes.push(state?.exitCode ?? 0);
  }
  cli.print(codes, codes.map((c) => `${c}\n`).join(''));
}

export async function infoAction(cli: Cli): Promise<void> {
  const { chooseSnapshotter } = await import('../../snapshots/detect.js');
  const { cgroupVersion } = await import('../../runtime/cgroups.js');
  const { which } = await import('../../runtime/host-tools.js');
  const { release } = await import('node:os');
  const { diskUsage } = await import('../../ops/system-df.js');
  const { storeLayout } = await import('../../core/layout.js');
  const all = await listWithState(new ContainerStore(cli.root));
  const count = (s: string) => all.filter((c) => c.state.status === s).length;
  const snap = chooseSnapshotter();
  const runtimes = ['unshare', 'runc', 'crun'].filter((r) => which(r));
  const images = await (await cli.images()).list().catch(() => []);
  const info = {
    Containers: all.length,
    ContainersRunning: count('running'),
    ContainersPaused: count('paused'),
    ContainersStopped: all.length - count('running') - count('paused'),
    Images: images.length,
    Driver: snap.kind,
    DriverReason: snap.reason,
    UnpackedLayersSize: await diskUsage(storeLayout(cli.root).snapshots),
    DefaultRuntime: process.env.LIFEBOAT_RUNTIME ?? 'unshare',
    Runtimes: runtimes,
    CgroupVersion: String(cgroupVersion() || 'none'),
    CgroupDriver: 'cgroupfs',
    KernelVersion: release(),
    Rootless: process.geteuid?.() !== 0,
    LifeboatRootDir: cli.root,
  };
  cli.print(info, () =>
    [
      `Containers: ${info.Containers}`,
      ` Running: ${info.ContainersRunning}`,
      ` Paused: ${info.ContainersPaused}`,
      ` Stopped: ${info.ContainersStopped}`,
      `Images: ${info.Images}`,
      `Storage Driver: ${info.Driver} (${info.DriverReason})`,
      ` Unpacked layers: ${humanSize(info.UnpackedLayersSize)}`,
      `Runtimes: ${info.Runtimes.join(' ')}`,
      `Default Runtime: ${info.DefaultRuntime}`,
      `Cgroup Driver: ${info.CgroupDriver}`,
      `Cgroup Version: ${info.CgroupVersion}`,
      `Kernel Version: ${info.KernelVersion}`,
      `Rootless: ${info.Rootless}`,
      `Lifeboat Root Dir: ${info.LifeboatRootDir}`,
      '',
    ].join('\n'),
  );
}
