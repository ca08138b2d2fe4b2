/**
 * How backups, restores and verdicts read on a terminal: the `backups` table (ID, CONTAINER, IMAGE,
 * VOLUMES, CREATED, SIZE, ADDED, TAGS, VERIFIED), the `backup` result table and its one-line
 * summary on stderr, the restore summary, the verdict of `verify`, and the forget report. With
 * --json the commands print the objects themselves (these are only the human text).
 */
import { ago, humanSize } from '../../core/units.js';
import { familiarString, parseReference } from '../../core/reference.js';
import type { BackupResult } from '../../ops/backup.js';
import type { BackupEntry } from '../../ops/backup-catalog.js';
import type { BackupForgetResult } from '../../ops/backup-forget.js';
import type { RestoreResult } from '../../ops/restore.js';
import type { VerificationFile } from '../../ops/verify-record.js';
import type { VerifyResult } from '../../ops/verify.js';
import { formatTable } from '../output.js';

export interface BackupRow {
  id: string;
  container: string;
  image: string;
  volumes: string[];
  created: string;
  size: number;
  added: number;
  tags: string[];
  hostname: string;
  verified?: { passed: boolean; time: string };
}

function familiar(image: string): string {
  try {
    return familiarString(parseReference(image));
  } catch {
    return image;
  }
}

export function backupRow(b: BackupEntry, verdict?: VerificationFile): BackupRow {
  return {
    id: b.id,
    container: b.ref.container,
    image: b.ref.image,
    volumes: b.ref.volumes,
    created: b.ref.created,
    size: b.ref.stats.bytes,
    added: b.ref.stats.addedBytes,
    tags: b.ref.tags,
    hostname: b.ref.hostname,
    ...(verdict ? { verified: { passed: verdict.passed, time: verdict.time } } : {}),
  };
}

/** Seconds with one decimal ("0.4s", "12.3s"): backups are measured, not chatted about. */
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

const shortVolume = (v: string) => (/^[0-9a-f]{64}$/.test(v) ? v.slice(0, 12) : v);

export const BACKUP_COLUMNS: Array<[string, (r: BackupRow) => string]> = [
  ['CONTAINER', (r) => r.container],
  ['IMAGE', (r) => familiar(r.image)],
  ['VOLUMES', (r) => r.volumes.map(shortVolume).join(',')],
  ['CREATED', (r) => ago(r.created)],
  ['SIZE', (r) => humanSize(r.size)],
  ['ADDED', (r) => humanSize(r.added)],
  ['TAGS', (r) => r.tags.join(',')],
  ['VERIFIED', (r) => (r.verified ? `${r.verified.passed ? 'pass' : 'FAIL'} ${ago(r.verified.time)}` : '-')],
];

export function backupJson(r: BackupResult) {
  return { id: r.id, container: r.record.container.name, created: r.record.created, tags: r.record.tags, stats: r.record.stats, sent: r.sent, skipped: r.skipped, adopted: r.adopted, released: r.released, durationMs: r.durationMs };
}

export function backupTable(results: BackupResult[]): string {
  return formatTable(
    ['ID', 'CONTAINER', 'SIZE', 'ADDED', 'SENT', 'DURATION'],
    results.map((r) => [r.id.slice(0, 12), r.record.container.name, humanSize(r.record.stats.bytes), humanSize(r.sent.bytes), humanSize(r.sent.storedBytes), secs(r.durationMs)]),
  );
}

export function backupSummary(r: BackupResult): string {
  const s = r.record.stats;
  const vols = r.record.volumes.length;
  const held = s.heldMs === 0 ? 'not held' : `${r.record.consistency === 'stop' ? 'stopped' : 'paused'} ${secs(s.heldMs)}`;
  return (
    `Backup ${r.id.slice(0, 12)} of ${r.record.container.name}: ${humanSize(s.bytes)} in image, layer and ${vols} volume(s) ` +
    `(${s.files} files, ${s.unchangedFiles} unchanged), ${humanSize(r.sent.bytes)} new, ${humanSize(r.sent.storedBytes)} sent in ${r.sent.packs} pack(s)` +
    `${r.adopted.packs ? `, ${r.adopted.packs} pack(s) of an interrupted run adopted` : ''}, ${secs(r.durationMs)} (${held})`
  );
}

export function restoreSummary(r: RestoreResult): string {
  const vols = r.data.volumes.map((v) => `${shortVolume(v.name)} (${v.files} files, ${humanSize(v.bytes)})`).join(', ');
  const lines = [
    `Restored backup ${r.backup.slice(0, 12)} as container ${r.container.name} (${r.container.id.slice(0, 12)})${r.started ? ', started' : ''}`,
    `  image: ${r.image.tagged.length ? r.image.tagged.map(familiar).join(', ') : r.container.imageId.slice(7, 19)}${r.image.kept.length ? ` (${r.image.kept.map(familiar).join(', ')} left pointing at another image)` : ''}`,
    ...(vols ? [`  volumes: ${vols}`] : []),
    ...r.data.binds.map((b) => `  bind ${b.hostPath}: ${b.files} files, ${humanSize(b.bytes)}`),
    `  ${humanSize(r.fetched.image.sent.bytes + r.fetched.data.bytes)} fetched, ${secs(r.durationMs)}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function verdictText(v: VerifyResult): string {
  const lines = [`${v.passed ? 'PASS' : 'FAIL'} backup ${v.backup.slice(0, 12)}: ${v.reason}`];
  if (!v.passed && v.logs.length) lines.push('Last log lines:', ...v.logs.map((l) => `  ${l}`));
  lines.push(`(verdict recorded in the repository: ${v.file})`);
  return `${lines.join('\n')}\n`;
}

export function forgetText(r: BackupForgetResult): string {
  const out: string[] = [];
  for (const container of [...new Set(r.decisions.map((d) => d.container))]) {
    const mine = r.decisions.filter((d) => d.container === container);
    const keep = mine.filter((d) => d.keep);
    const go = mine.filter((d) => !d.keep);
    out.push(`Container ${container}:`, `keep ${keep.length} backups:`);
    if (keep.length) out.push(formatTable(['ID', 'CREATED', 'TAGS', 'REASONS'], keep.map((d) => [d.id.slice(0, 12), d.created, d.tags.join(','), d.reasons.join(', ')])).trimEnd());
    out.push(`${r.dryRun ? 'would remove' : 'remove'} ${go.length} backups:`);
    if (go.length) out.push(formatTable(['ID', 'CREATED', 'TAGS'], go.map((d) => [d.id.slice(0, 12), d.created, d.tags.join(',')])).trimEnd());
    out.push('');
  }
  if (r.prune) out.push(pruneText(r.prune));
  return `${out.join('\n')}\n`;
}

export function pruneText(p: NonNullable<BackupForgetResult['prune']>): string {
  const verb = p.dryRun ? 'would delete' : 'deleted';
  return `${p.backups} backup(s) kept: ${p.blobs.kept} blobs in use, ${p.blobs.removed} ${p.dryRun ? 'unused' : 'removed'}; ${verb} ${p.packs.deleted} pack(s) (${humanSize(p.bytes.deleted)}), repacked ${p.packs.repacked} into ${p.packs.written} (${humanSize(p.bytes.written)})`;
}
