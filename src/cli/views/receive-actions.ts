/**
 * The bodies of `receive check | has | stage | verify | cleanup` (cli/commands/receive.ts), loaded only
 * when one runs. Each prints one result (JSON with --json, as the migrating source asks for, or
 * short text for a person running it by hand); a failed verdict is printed and then exits 8.
 */
import { UsageError, VerifyFailedError } from '../../core/errors.js';
import { humanSize, parseDuration } from '../../core/units.js';
import { parsePort } from '../../runtime/run-flags.js';
import type { Cli } from '../command.js';

export interface CheckFlags {
  container?: string;
  volume?: string[];
  port?: string[];
  path?: string[];
}

export interface StageFlags {
  repo?: string;
  into?: string;
  volume?: string[];
}

export interface VerifyFlags {
  time?: string;
}

export interface CleanupFlags {
  dir?: string;
  container?: string;
  volume?: string[];
  image?: string;
  since?: string;
}

export async function check(cli: Cli, opts: CheckFlags): Promise<void> {
  const { receiveFacts } = await import('../../ops/migrate-receive.js');
  const f = await receiveFacts(cli.root, { container: opts.container ?? '', volumes: opts.volume ?? [], ports: (opts.port ?? []).map(parsePort), paths: opts.path ?? [] });
  cli.print(f, () =>
    [
      `store ${f.root}${f.storeExists ? '' : ' (not created yet)'} on ${f.os}/${f.architecture}, ${humanSize(f.freeBytes)} free`,
      ...(opts.container ? [`container ${opts.container}: ${f.containerExists ? 'EXISTS' : 'free'}`] : []),
      ...f.volumesExisting.map((v) => `volume ${v}: EXISTS`),
      ...f.portsBusy.map((p) => `port ${p}: IN USE`),
      ...f.pathsMissing.map((p) => `path ${p}: MISSING`),
      '',
    ].join('\n'),
  );
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export async function has(cli: Cli): Promise<void> {
  const { receiveHas } = await import('../../ops/migrate-receive.js');
  const wanted = (await readStdin()).split('\n').map((l) => l.trim()).filter(Boolean);
  const present = await receiveHas(cli.root, wanted);
  cli.print(present, () => (present.length ? present.join('\n') + '\n' : ''));
}

export async function verify(cli: Cli, name: string, opts: VerifyFlags): Promise<void> {
  const { verifyRunningContainer } = await import('../../ops/migrate-receive-end.js');
  const v = await verifyRunningContainer(cli.root, name, parseDuration(opts.time ?? '10s'));
  cli.print(v, () => `${v.container.name}: ${v.passed ? 'PASSED' : 'FAILED'}: ${v.reason}\n${v.logs.map((l) => `  | ${l}\n`).join('')}`);
  if (!v.passed) throw new VerifyFailedError(`${v.container.name} failed verification: ${v.reason}`, { data: { container: v.container, reason: v.reason } });
}

export async function cleanup(cli: Cli, opts: CleanupFlags): Promise<void> {
  const { receiveCleanup } = await import('../../ops/migrate-receive-end.js');
  const r = await receiveCleanup(cli.root, {
    ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
    ...(opts.container !== undefined ? { container: opts.container } : {}),
    volumes: opts.volume ?? [],
    ...(opts.image !== undefined ? { image: opts.image } : {}),
    ...(opts.since !== undefined ? { since: opts.since } : {}),
  });
  cli.print(r, () =>
    [
      ...(r.container ? [`removed container ${r.container.slice(0, 12)}`] : []),
      ...r.volumes.map((v) => `removed volume ${v}`),
      ...(r.image ? [`removed image ${r.image}`] : []),
      ...(r.dir ? [`removed ${r.dir}`] : []),
      ...r.kept.map((k) => `kept ${k}`),
      '',
    ].join('\n'),
  );
}

export async function stage(cli: Cli, id: string, opts: StageFlags): Promise<void> {
  if (opts.repo === undefined || opts.into === undefined) throw new UsageError('receive stage needs --repo PATH and --into DIR');
  const into = opts.into;
  const [{ checkStageDir, stageVolumes }, { operationDeps, withRepository }] = await Promise.all([import('../../ops/restore-stage.js'), import('./backup-actions.js')]);
  checkStageDir(cli.root, into); // before the repository opens
  const deps = await operationDeps(cli);
  const r = await withRepository(cli, opts.repo, '--repo', {}, (repo) => stageVolumes(deps, repo, id, into, { volumeMap: opts.volume ?? [] }));
  cli.print(r, () => (r.skipped ? `nothing staged: ${r.skipped}\n` : r.volumes.map((v) => `staged volume ${v.name}: ${v.files} files, ${humanSize(v.bytes)}`).join('\n') + '\n'));
}
