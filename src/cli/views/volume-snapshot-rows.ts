/**
 * How snapshot results read: `volume snapshots` (ID, VOLUME, CREATED, SIZE, ADDED, FILES, TAGS),
 * the one-line summary after `volume snapshot`, `volume forget`'s keep/remove tables with the
 * reasons each kept snapshot is kept, and `volume diff`'s summary, as `restic diff` prints it.
 */
import { ago, humanDuration, humanSize } from '../../core/units.js';
import type { ForgetResult } from '../../ops/volume-forget.js';
import type { DiffTotals } from '../../volumes/snapshot-diff.js';
import type { SnapshotInfo } from '../../volumes/snapshot-refs.js';
import { formatTable } from '../output.js';

export interface SnapshotRow {
  ID: string;
  Digest: string;
  Volume: string;
  Created: string;
  Size: number;
  Added: number;
  Files: number;
  Tags: string[];
  Labels: Record<string, string>;
  Parent?: string;
  Stats: SnapshotInfo['record']['stats'];
}

export function snapshotRow(s: SnapshotInfo): SnapshotRow {
  const r = s.record;
  return {
    ID: s.id.slice(7, 19),
    Digest: s.id,
    Volume: r.volume,
    Created: r.created,
    Size: r.stats.bytes,
    Added: r.stats.addedBytes,
    Files: r.stats.files,
    Tags: r.tags,
    Labels: r.labels,
    ...(r.parent ? { Parent: r.parent } : {}),
    Stats: r.stats,
  };
}

export const SNAPSHOT_COLUMNS: Array<[string, (r: SnapshotRow) => string]> = [
  ['ID', (r) => r.ID],
  ['VOLUME', (r) => r.Volume],
  ['CREATED', (r) => ago(r.Created)],
  ['SIZE', (r) => humanSize(r.Size)],
  ['ADDED', (r) => humanSize(r.Added)],
  ['FILES', (r) => String(r.Files)],
  ['TAGS', (r) => r.Tags.join(',')],
];

export function snapshotSummary(s: SnapshotInfo): string {
  const st = s.record.stats;
  return (
    `Files: ${st.files} (${st.unchangedFiles} unchanged), dirs: ${st.dirs}, ${humanSize(st.bytes)} in total\n` +
    `Read ${humanSize(st.readBytes)}, added ${humanSize(st.addedBytes)} to the store in ${humanDuration(st.durationMs).toLowerCase()}` +
    `${st.skipped ? `; ${st.skipped} sockets or mount points left out` : ''}${st.skippedXattrs ? `; xattrs of ${st.skippedXattrs} non-UTF-8 names not read` : ''}`
  );
}

export function forgetReport(r: ForgetResult): string {
  const out: string[] = [];
  for (const volume of [...new Set(r.decisions.map((d) => d.volume))]) {
    const mine = r.decisions.filter((d) => d.volume === volume);
    const keep = mine.filter((d) => d.keep);
    const go = mine.filter((d) => !d.keep);
    out.push(`Volume ${volume}:`);
    out.push(`keep ${keep.length} snapshots:`);
    if (keep.length) out.push(formatTable(['ID', 'CREATED', 'TAGS', 'REASONS'], keep.map((d) => [d.id.slice(7, 19), d.created, d.tags.join(','), d.reasons.join(', ')])).trimEnd());
    out.push(`${r.dryRun ? 'would remove' : 'remove'} ${go.length} snapshots:`);
    if (go.length) out.push(formatTable(['ID', 'CREATED', 'TAGS'], go.map((d) => [d.id.slice(7, 19), d.created, d.tags.join(',')])).trimEnd());
    out.push('');
  }
  if (r.gc) out.push(`Pruned ${r.gc.deleted.length} blobs, reclaimed ${humanSize(r.gc.reclaimedBytes)}`);
  return `${out.join('\n')}\n`;
}

export function diffSummary(t: DiffTotals): string {
  return (
    `\nFiles:       ${t.added.files} new, ${t.removed.files} removed, ${t.changed} changed\n` +
    `Dirs:        ${t.added.dirs} new, ${t.removed.dirs} removed\n` +
    `Others:      ${t.added.others} new, ${t.removed.others} removed\n` +
    `Added:   ${humanSize(t.added.bytes)}\nRemoved: ${humanSize(t.removed.bytes)}\n`
  );
}
