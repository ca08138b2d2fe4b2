/**
 * The work behind `volume snapshot/snapshots/diff/restore/export/import/forget`, loaded only when
 * one of them runs. Results on stdout (tables, diff lines, or JSON with --json), progress and
 * summaries on stderr. Blob-writing commands hold the shared store lock (inside the ops they call).
 */
import { UsageError } from '../../core/errors.js';
import type { Compression } from '../../core/media-types.js';
import { humanSize } from '../../core/units.js';
import { SnapshotRefs } from '../../volumes/snapshot-refs.js';
import { VolumeStore } from '../../volumes/volume-store.js';
import type { Cli } from '../command.js';
import { containerControl } from './container-control.js';
import { policyOf, type RetentionFlags } from './retention-flags.js';
import { keyValues } from './volume-rows.js';
import { SNAPSHOT_COLUMNS, diffSummary, forgetReport, snapshotRow, snapshotSummary } from './volume-snapshot-rows.js';

async function deps(cli: Cli) {
  return { content: await cli.content(), volumes: new VolumeStore(cli.root), control: await containerControl(cli) };
}

export async function snapshotVolume(
  cli: Cli,
  name: string,
  opts: { tag?: string[]; label?: string[]; stop?: boolean; pause?: boolean; execBefore?: string; execAfter?: string; forceFull?: boolean },
): Promise<void> {
  const { snapshotVolume: take } = await import('../../ops/volume-snapshot.js');
  const progress = await cli.progress();
  if (opts.stop && opts.pause === false) throw new UsageError('--stop and --no-pause contradict each other');
  const snap = await take(await deps(cli), name, {
    tags: opts.tag ?? [],
    labels: keyValues(opts.label, 'label'),
    noParent: !!opts.forceFull,
    progress,
    consistency: { mode: opts.stop ? 'stop' : opts.pause === false ? 'none' : 'pause', execBefore: opts.execBefore, execAfter: opts.execAfter, warn: (m) => progress.warn(m) },
  });
  progress.info(snapshotSummary(snap));
  cli.print(snapshotRow(snap), `${snap.id.slice(7, 19)}\n`);
}

export async function listSnapshots(cli: Cli, volume: string | undefined, opts: { quiet?: boolean; trunc?: boolean }): Promise<void> {
  const rows = (await new SnapshotRefs(cli.root).snapshots(await cli.content(), volume)).map(snapshotRow).reverse();
  const id = (r: ReturnType<typeof snapshotRow>) => (opts.trunc === false ? r.Digest : r.ID);
  if (opts.quiet) return cli.print(rows.map(id), rows.map((r) => `${id(r)}\n`).join(''));
  cli.table(rows, [['ID', id], ...SNAPSHOT_COLUMNS.slice(1)], (r) => r);
}

export async function diffSnapshots(cli: Cli, a: string, b: string): Promise<void> {
  const { diffTrees, emptyTotals } = await import('../../volumes/snapshot-diff.js');
  const content = await cli.content();
  const refs = new SnapshotRefs(cli.root);
  const [left, right] = [await refs.resolve(content, a), await refs.resolve(content, b)];
  const totals = emptyTotals();
  const items = [];
  if (!cli.json) process.stdout.write(`comparing snapshot ${left.id.slice(7, 19)} to ${right.id.slice(7, 19)}:\n\n`);
  for await (const item of diffTrees(content, left.record.tree.digest, right.record.tree.digest, totals)) {
    if (cli.json) items.push(item);
    else process.stdout.write(`${item.change.padEnd(4)} /${item.path}${item.type === 'dir' ? '/' : ''}\n`);
  }
  cli.print({ from: left.id, to: right.id, changes: items, totals }, diffSummary(totals));
}

export async function restoreSnapshot(cli: Cli, name: string, opts: { to?: string; overwrite?: boolean; include?: string[] }): Promise<void> {
  const { restoreVolumeChecked } = await import('../../ops/volume-restore.js');
  const d = await deps(cli);
  const snap = await new SnapshotRefs(cli.root).resolve(d.content, name);
  const r = await restoreVolumeChecked(d, snap, { to: opts.to, overwrite: !!opts.overwrite, include: opts.include ?? [], progress: await cli.progress() });
  const skipped = r.skipped.devices || r.skipped.xattrs ? ` (${r.skipped.devices} devices and ${r.skipped.xattrs} xattrs could not be restored here)` : '';
  cli.print({ snapshot: snap.id, ...r }, `Restored ${snap.id.slice(7, 19)} into ${r.created ? 'new ' : ''}volume ${r.volume}: ${r.files} files, ${humanSize(r.bytes)}${skipped}\n`);
}

function exportFormat(file: string | undefined, format: string | undefined): Compression | 'zip' {
  const f = format ?? (file?.endsWith('.zip') ? 'zip' : file && /\.(tar\.gz|tgz)$/.test(file) ? 'tar.gz' : file?.endsWith('.tar.zst') ? 'tar.zst' : 'tar');
  const map: Record<string, Compression | 'zip'> = { tar: 'none', 'tar.gz': 'gzip', 'tar.zst': 'zstd', zip: 'zip' };
  const c = map[f];
  if (!c) throw new UsageError(`unknown export format "${f}" (use tar, tar.gz, tar.zst or zip)`);
  return c;
}

export async function exportSnapshot(cli: Cli, name: string, opts: { output?: string; format?: string; include?: string[] }): Promise<void> {
  const { openOutput } = await import('../io.js');
  const { PathFilter } = await import('../../volumes/path-filter.js');
  const format = exportFormat(opts.output, opts.format);
  const content = await cli.content();
  const snap = await new SnapshotRefs(cli.root).resolve(content, name);
  const filter = opts.include?.length ? new PathFilter(opts.include) : undefined;
  const counters = { entries: 0, bytes: 0, skipped: 0 };
  const out = openOutput(opts.output);
  try {
    if (format === 'zip') {
      const { writeSnapshotZip } = await import('../../volumes/zip-export.js');
      await writeSnapshotZip(content, snap, out.stream, counters, filter);
    } else {
      const { Readable } = await import('node:stream');
      const { pipeline } = await import('node:stream/promises');
      const { writeTar } = await import('../../diff/tar/tar-writer.js');
      const { compressor } = await import('../../diff/compression.js');
      const { snapshotTarEntries } = await import('../../volumes/snapshot-export.js');
      await pipeline(Readable.from(writeTar(snapshotTarEntries(content, snap, counters, filter))), compressor(format), out.stream);
    }
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  const progress = await cli.progress();
  if (counters.skipped) progress.warn(`${counters.skipped} entries left out (names that are not UTF-8${format === 'zip' ? ', FIFOs or devices' : ''})`);
  if (opts.output) cli.print({ snapshot: snap.id, file: opts.output, ...counters }, '');
}

export async function importVolume(cli: Cli, name: string, file: string, opts: { overwrite?: boolean; label?: string[] }): Promise<void> {
  const { openInput } = await import('../io.js');
  const { importVolume: run } = await import('../../volumes/volume-import.js');
  const r = await run(cli.root, new VolumeStore(cli.root), name, await openInput(file), { overwrite: !!opts.overwrite, labels: keyValues(opts.label, 'label') });
  cli.print(r, `${r.volume}\n`);
}

interface ForgetFlags extends RetentionFlags {
  volume?: string;
}

export async function forget(cli: Cli, ids: string[], opts: ForgetFlags): Promise<void> {
  const { forgetSnapshots } = await import('../../ops/volume-forget.js');
  const policy = policyOf(opts);
  const r = await forgetSnapshots(await cli.content(), { volume: opts.volume, policy, ids, dryRun: !!opts.dryRun, prune: !!opts.prune, timeZone: opts.utc ? 'utc' : 'local' });
  cli.print(r, () => forgetReport(r));
}
