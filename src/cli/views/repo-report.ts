/**
 * How `repo check`, `repo stats` and `repo unlock` read on a terminal (restic-like summaries). With
 * --json the commands print the report objects themselves; these are only the human text.
 */
import type { CheckReport } from '../../repository/check.js';
import type { LockFile } from '../../repository/repo-locks.js';
import { describeLock } from '../../repository/repo-locks.js';
import type { RepoStats } from '../../repository/stats.js';
import { humanSize } from '../../core/units.js';
import { formatTable } from '../output.js';

export function checkText(location: string, r: CheckReport): string {
  const lines = [
    `checked ${location}`,
    `  ${r.indexFiles} index file(s), ${r.packs} pack(s), ${r.blobs} blob(s), ${r.refs} backup ref(s)`,
    r.readData ? `  read and verified ${humanSize(r.bytesRead)} of pack data` : '  pack data not read (use --read-data to re-hash every pack and blob)',
    `  locks: ${r.locks.live} live, ${r.locks.stale} stale`,
    ...r.warnings.map((w) => `warning: ${w}`),
    ...r.problems.map((p) => `error: ${p}`),
    r.problems.length ? `${r.problems.length} problem(s) found` : 'no errors were found',
  ];
  return lines.join('\n') + '\n';
}

export function statsText(s: RepoStats): string {
  const rows: Array<[string, string]> = [
    ['Repository', s.location],
    ['ID', s.id.slice(0, 12)],
    ['Created', s.created],
    ['Backups', String(s.backups)],
    ['Packs', `${s.packs} (${humanSize(s.packBytes)})`],
    ['Blobs', `${s.blobs} (${s.compressedBlobs} compressed)`],
    ['Stored size', humanSize(s.storedBytes)],
    ['Raw size', humanSize(s.rawBytes)],
    ['Compression ratio', `${s.compressionRatio.toFixed(2)}x`],
    ['Index files', String(s.indexFiles)],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join('\n') + '\n';
}

export function unlockText(removed: LockFile[], all: boolean): string {
  if (removed.length === 0) return all ? 'no locks to remove\n' : 'no stale locks to remove\n';
  return formatTable(
    ['LOCK', 'HOLDER'],
    removed.map((l) => [l.id.slice(0, 12), l.lock ? describeLock(l.lock) : '(unreadable lock file)']),
  ) + `removed ${removed.length} lock(s)\n`;
}
