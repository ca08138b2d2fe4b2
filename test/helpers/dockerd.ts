/**
 * A private Docker engine for interop tests: its own data-root, exec-root and socket under a temp
 * dir (so it never touches a system Docker), started with `--iptables=false --bridge=none` as this
 * machine needs, and stopped by its pid when the suite ends.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Dockerd {
  host: string;
  docker(args: string[], input?: Buffer | string): SpawnSyncReturns<string>;
  stop(): Promise<void>;
}

export async function startDockerd(): Promise<Dockerd> {
  const dir = await mkdtemp('/tmp/lbd-');
  const sock = join(dir, 'd.sock');
  const host = `unix://${sock}`;
  const log = openSync(join(dir, 'dockerd.log'), 'w');
  const child = spawn('dockerd', ['--iptables=false', '--ip6tables=false', '--bridge=none', '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'x'), '--pidfile', join(dir, 'pid'), '-H', host], {
    stdio: ['ignore', log, log],
  });
  const docker = (args: string[], input?: Buffer | string) =>
    spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: host }, input, encoding: 'utf8', maxBuffer: 1 << 30 });
  const stop = async () => {
    child.kill('SIGTERM');
    for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(100);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (docker(['info', '--format', '{{.ServerVersion}}']).status === 0) return { host, docker, stop };
    await sleep(200);
  }
  const tail = spawnSync('tail', ['-n', '20', join(dir, 'dockerd.log')], { encoding: 'utf8' }).stdout;
  await stop();
  throw new Error(`dockerd did not start:\n${tail}`);
}
