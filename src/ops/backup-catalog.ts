/**
 * The backups a repository holds, as `backups`, `backup inspect`, `restore`, `verify` and `forget`
 * see them: the refs (backups/<record hex>.json, small summaries read without touching a pack),
 * filtered by container and tags, resolved from a unique ID prefix (4 hex at least, as Docker
 * takes IDs), and the full record behind one ref, read from its pack and verified.
 *
 * A ref that does not parse is reported, never silently skipped: `backups` warns about it and
 * prune refuses to compute a live set without it (its data could be lost).
 */
import { hexOf } from '../core/digest.js';
import { ConflictError, ExitCode, IntegrityError, LifeboatError, NotFoundError } from '../core/errors.js';
import type { Provider } from '../content/content-store.js';
import type { Repository } from '../repository/repository.js';
import { forEachLimit } from '../core/semaphore.js';
import { parseBackupRecord, parseBackupRef, type BackupRecord, type BackupRef } from './backup-format.js';

export interface BackupEntry {
  id: string;
  ref: BackupRef;
}

export interface BackupListing {
  /** Oldest first. */
  backups: BackupEntry[];
  /** Refs that could not be read or parsed. */
  damaged: Array<{ id: string; error: string }>;
}

export interface BackupFilter {
  container?: string;
  /** Backups that carry all of these tags. */
  tags?: string[];
}

export function matches(ref: BackupRef, f: BackupFilter): boolean {
  if (f.container !== undefined && ref.container !== f.container && ref.containerId !== f.container && !ref.containerId.startsWith(f.container)) return false;
  return (f.tags ?? []).every((t) => ref.tags.includes(t));
}

export async function listBackups(repo: Repository, filter: BackupFilter = {}): Promise<BackupListing> {
  const ids = await repo.listRefs();
  const backups: BackupEntry[] = [];
  const damaged: BackupListing['damaged'] = [];
  await forEachLimit(ids, 8, async (id) => {
    try {
      const ref = parseBackupRef(await repo.getRef(id), id);
      if (matches(ref, filter)) backups.push({ id, ref });
    } catch (err) {
      if (err instanceof NotFoundError) return; // forgotten while listing
      if (!(err instanceof LifeboatError) || err.exitCode === ExitCode.AUTH || err.exitCode === ExitCode.UNREACHABLE) throw err;
      damaged.push({ id, error: err.message });
    }
  });
  backups.sort((a, b) => a.ref.created.localeCompare(b.ref.created) || a.id.localeCompare(b.id));
  return { backups, damaged };
}

/** A backup by full ID (hex or sha256:hex) or unique prefix; 3 when none matches, 4 when several do. */
export async function resolveBackup(repo: Repository, input: string): Promise<BackupEntry> {
  const hex = input.startsWith('sha256:') ? input.slice(7) : input.toLowerCase();
  if (!/^[a-f0-9]{4,64}$/.test(hex)) throw new NotFoundError('backup', input, { hint: 'name a backup by its ID or a unique prefix of at least 4 characters (see: lifeboat backups --repo REPO)' });
  const hits = (await repo.listRefs()).filter((id) => id.startsWith(hex));
  if (hits.length === 0) throw new NotFoundError('backup', input, { hint: `list backups with: lifeboat backups --repo ${repo.location}` });
  if (hits.length > 1) throw new ConflictError(`backup ID prefix ${input} is ambiguous (${hits.length} backups match)`, { hint: 'give more characters of the ID' });
  const id = hits[0]!;
  return { id, ref: parseBackupRef(await repo.getRef(id), id) };
}

/** The record a ref names, read from the repository (verified against its digest) and validated. */
export async function loadBackupRecord(repo: Provider, entry: BackupEntry): Promise<BackupRecord> {
  try {
    return parseBackupRecord(await repo.readBytes(entry.ref.backup.digest), `backup record ${hexOf(entry.ref.backup.digest).slice(0, 12)}`);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new IntegrityError(`backup ${entry.id.slice(0, 12)}: its record is missing from the repository`, { code: 'MISSING_BLOB', hint: 'run `lifeboat repo check`; this backup cannot be restored' });
    }
    throw err;
  }
}

/** A backup's ref and record, by ID or unique prefix. */
export async function loadBackup(repo: Repository, id: string): Promise<{ entry: BackupEntry; record: BackupRecord }> {
  const entry = await resolveBackup(repo, id);
  return { entry, record: await loadBackupRecord(repo, entry) };
}
