/** system check, system df, system gc: the store's health and disk use. */
import type { Command } from 'commander';
import { IntegrityError } from '../../core/errors.js';
import { action, common } from '../command.js';

export function register(program: Command): void {
  const system = program.command('system').description('Inspect and maintain the local store');

  common(system.command('check'))
    .description('Verify the store: re-hash every blob, follow every ref (exit 6 on any problem)')
    .option('--repair', 'move corrupt blobs to quarantine/ so the next load can heal the store')
    .action(
      action(async (cli, opts: { repair?: boolean }) => {
        const { checkStore } = await import('../../ops/system-check.js');
        const { humanSize } = await import('../../core/units.js');
        const r = await checkStore(await cli.content(), { repair: !!opts.repair, progress: await cli.progress() });
        cli.print(r, () =>
          [
            `checked ${r.blobs} blobs (${humanSize(r.bytes)}) and ${r.roots} refs`,
            ...r.held.map((h) => `${h.snapshots} volume snapshot(s) keep their file chunks in repository ${h.repository.slice(0, 12)}${h.location ? ` (${h.location})` : ''}; only their trees are here, as parents for the next backup (drop them: lifeboat repo detach ${h.repository.slice(0, 12)})`),
            ...r.problems.map((p) => `${p.kind}: ${p.digest ?? `packs/${p.pack}`}: ${p.detail}`),
            r.problems.length ? '' : 'no errors were found',
            '',
          ].join('\n'),
        );
        if (r.problems.length) throw new IntegrityError(`${r.problems.length} problem(s) found in the store`, { hint: opts.repair ? 'corrupt blobs were quarantined; load or restore the affected images again' : 'run `lifeboat system check --repair`, then load or restore the affected images again' });
      }),
    );

  common(system.command('df'))
    .description('Show disk usage: images (virtual, shared and unique), containers, volumes')
    .option('-v, --verbose', 'per-image detail')
    .action(
      action(async (cli, opts: { verbose?: boolean }) => {
        const { systemDf } = await import('../../ops/system-df.js');
        const { imageUsers } = await import('../views/image-users.js');
        const { volumeInUse } = await import('../views/volume-users.js');
        const { humanSize, ago } = await import('../../core/units.js');
        const { formatTable } = await import('../output.js');
        const { familiarString, parseReference } = await import('../../core/reference.js');
        const r = await systemDf(await cli.images(), imageUsers(cli.root), volumeInUse(cli.root));
        const pct = (a: number, b: number) => (b ? ` (${Math.round((a / b) * 100)}%)` : '');
        cli.print({ rows: r.rows, images: r.images.map((u) => ({ id: u.image.id, names: u.image.names, virtualSize: u.virtualSize, sharedSize: u.sharedSize, uniqueSize: u.uniqueSize, containers: u.containers })) }, () => {
          let text = formatTable(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], r.rows.map((x) => [x.type, String(x.total), String(x.active), humanSize(x.size), humanSize(x.reclaimable) + pct(x.reclaimable, x.size)]));
          if (opts.verbose) {
            text += '\nImages space usage:\n\n' + formatTable(
              ['REPOSITORY', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'],
              r.images.map((u) => [u.image.names[0] ? familiarString(parseReference(u.image.names[0])) : '<none>', u.image.id.slice(7, 19), ago(u.image.config.created), humanSize(u.virtualSize), humanSize(u.sharedSize), humanSize(u.uniqueSize), String(u.containers)]),
            );
          }
          return text;
        });
      }),
    );

  common(system.command('start'))
    .description('After a reboot: record containers that died with the host as exited, then apply restart policies')
    .action(
      action(async (cli) => {
        const { startAfterBoot } = await import('../../ops/container-boot.js');
        const r = await startAfterBoot(cli.root);
        cli.print(r, [...r.started.map((n) => `started ${n}\n`), ...r.failed.map((f) => `failed ${f.name}: ${f.error}\n`)].join(''));
        if (r.failed.length) process.exitCode = 1;
      }),
    );

  common(system.command('gc'))
    .description('Delete blobs nothing references (images, containers, snapshots and backups keep theirs)')
    .option('--dry-run', 'only report what would be deleted')
    .action(
      action(async (cli, opts: { dryRun?: boolean }) => {
        const { collectGarbage } = await import('../../ops/gc.js');
        const { humanSize } = await import('../../core/units.js');
        const r = await collectGarbage(await cli.content(), { dryRun: !!opts.dryRun });
        cli.print({ deleted: r.deleted, reclaimedBytes: r.reclaimedBytes, kept: r.kept, dryRun: !!opts.dryRun }, `${opts.dryRun ? 'Would delete' : 'Deleted'} ${r.deleted.length} blobs, ${humanSize(r.reclaimedBytes)}; ${r.kept} kept\n`);
      }),
    );
}
