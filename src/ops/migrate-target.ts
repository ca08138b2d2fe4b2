/**
 * Where a migration goes, from the command line: `ssh://[user@]host[:port]`, parsed strictly
 * (pure; tested as a table), and the places on that host a migration uses:
 *
 *   <root>/migrate/<id>/repo    the temporary repository the source pushes into over SFTP and
 *                               the target restores from; <root> is the target's store root
 *
 * The user defaults to the local user name and the port to 22, as `ssh` does. A path in the URL
 * is refused: the store on the far side is chosen with --remote-root (or its own default).
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { posix } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { SshTarget } from '../repository/backends/ssh-connect.js';

const HINT = 'name the target as ssh://user@host or ssh://user@host:port';

export function parseTargetUrl(url: string): SshTarget {
  if (!/^ssh:\/\//i.test(url)) throw new UsageError(`the migration target "${url}" is not an ssh:// URL`, { hint: HINT });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`invalid target URL "${url}"`, { hint: HINT });
  }
  if (u.password) throw new UsageError('passwords in target URLs are not supported', { hint: 'Lifeboat logs in with SSH keys: use -i KEYFILE or ssh-agent' });
  if (!u.hostname) throw new UsageError('the target URL names no host', { hint: HINT });
  if (u.pathname !== '' && u.pathname !== '/') throw new UsageError(`the target URL has a path (${u.pathname}); choose the store there with --remote-root DIR`, { hint: HINT });
  if (u.search || u.hash) throw new UsageError('the target URL may not have a query or a fragment', { hint: HINT });
  const port = u.port ? Number(u.port) : 22;
  return { user: decodeURIComponent(u.username) || userInfo().username, host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** `ssh://user@host:port`, for messages and reports. */
export function formatTarget(t: SshTarget): string {
  return `ssh://${t.user}@${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/** A fresh migration ID: 12 hex, unique enough for the directories of concurrent migrations. */
export function newMigrationId(): string {
  return randomBytes(6).toString('hex');
}

export const MIGRATE_DIR = 'migrate';

/** The migration's own directory on the target (removed at the end, whatever happens). */
export function migrationDir(remoteRoot: string, id: string): string {
  if (!posix.isAbsolute(remoteRoot)) throw new UsageError(`the target's store root must be an absolute path, not ${remoteRoot}`);
  if (!/^[0-9a-f]{12}$/.test(id)) throw new UsageError(`invalid migration ID ${id}`);
  return posix.join(posix.normalize(remoteRoot), MIGRATE_DIR, id);
}

/** The temporary repository inside it. */
export function migrationRepoPath(remoteRoot: string, id: string): string {
  return posix.join(migrationDir(remoteRoot, id), 'repo');
}

/** The SFTP URL of that repository, as the source opens it. */
export function migrationRepoUrl(t: SshTarget, remoteRoot: string, id: string): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `sftp://${encodeURIComponent(t.user)}@${host}:${t.port}${migrationRepoPath(remoteRoot, id)}`;
}

/** Whether `dir` is a migration directory under `root` (the target refuses to delete anything else). */
export function isMigrationDir(root: string, dir: string): boolean {
  if (!posix.isAbsolute(root) || !posix.isAbsolute(dir)) return false;
  const norm = posix.normalize(dir).replace(/(.)\/+$/, '$1');
  const id = /\/migrate\/([0-9a-f]{12})$/.exec(norm)?.[1];
  return id !== undefined && norm === migrationDir(root, id);
}
