/**
 * The work behind `volume create/ls/inspect/rm/prune`, loaded only when one of them runs, with
 * Docker's output: names one per line, DRIVER / VOLUME NAME tables, `docker volume inspect`'s JSON
 * and prune's "Deleted Volumes:" listing; --json gives the same data as JSON.
 */
import { NotFoundError, UsageError } from '../../core/errors.js';
import { humanSize } from '../../core/units.js';
import { VolumeStore } from '../../volumes/volume-store.js';
import type { Cli } from '../command.js';
import { containerControl } from './container-control.js';
import { describeVolume, keyValues, volumeFilter } from './volume-rows.js';

function store(cli: Cli): VolumeStore {
  return new VolumeStore(cli.root);
}

export async function createVolume(cli: Cli, name: string | undefined, opts: { driver?: string; label?: string[]; opt?: string[] }): Promise<void> {
  if (opts.driver && opts.driver !== 'local') throw new UsageError(`volume driver "${opts.driver}" is not supported (only "local")`);
  const meta = await store(cli).create(name, { labels: keyValues(opts.label, 'label'), options: keyValues(opts.opt, 'option') });
  cli.print(describeVolume(store(cli), meta), `${meta.name}\n`);
}

export async function listVolumes(cli: Cli, opts: { filter?: string[]; quiet?: boolean }): Promise<void> {
  const { volumeUsageMap } = await import('../../ops/volume-users.js');
  const used = await volumeUsageMap(cli.root);
  const volumes = store(cli);
  const rows = (await volumes.list()).filter(volumeFilter(opts.filter ?? [], (n) => used.has(n))).map((m) => describeVolume(volumes, m));
  if (opts.quiet) return cli.print(rows.map((r) => r.Name), rows.map((r) => `${r.Name}\n`).join(''));
  cli.table(
    rows,
    [
      ['DRIVER', (r) => r.Driver],
      ['VOLUME NAME', (r) => r.Name],
    ],
    (r) => r,
  );
}

export async function inspectVolumes(cli: Cli, names: string[]): Promise<void> {
  const volumes = store(cli);
  const out = [];
  for (const name of names) out.push(describeVolume(volumes, await volumes.get(name)));
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

export async function removeVolumes(cli: Cli, names: string[], opts: { force?: boolean }): Promise<void> {
  const { removeVolume } = await import('../../ops/volume-remove.js');
  const volumes = store(cli);
  const control = await containerControl(cli);
  const removed: string[] = [];
  let failure: unknown;
  for (const name of names) {
    try {
      await removeVolume(cli.root, volumes, name, { force: !!opts.force, control });
      removed.push(name);
      if (!cli.json) process.stdout.write(`${name}\n`);
    } catch (err) {
      if (opts.force && err instanceof NotFoundError) continue; // docker volume rm -f ignores missing volumes
      failure ??= err; // the others are still tried, as docker volume rm does; the first error is reported
    }
  }
  if (cli.json) cli.print(removed, '');
  if (failure) throw failure;
}

export async function pruneVolumes(cli: Cli, opts: { all?: boolean; filter?: string[] }): Promise<void> {
  const { pruneVolumes: prune } = await import('../../ops/volume-remove.js');
  const r = await prune(cli.root, store(cli), { all: !!opts.all, filters: opts.filter ?? [] });
  const listing = r.deleted.length ? `Deleted Volumes:\n${r.deleted.map((d) => `${d}\n`).join('')}\n` : '';
  cli.print(r, `${listing}Total reclaimed space: ${humanSize(r.reclaimedBytes)}\n`);
}
