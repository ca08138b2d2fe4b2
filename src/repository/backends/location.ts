/**
 * Repository locations, parsed and named without loading any backend (repo detach, schedule
 * validation and the backends themselves use them):
 *
 *   /srv/backups/repo, ./repo, file:///srv/repo   a local directory (LocalBackend)
 *   sftp://user@host[:port]/abs/path              SFTP; the user defaults to the local user name,
 *   sftp://host/~/repo                            the port to 22; `/~/` means the login directory
 *
 * Passwords in URLs are refused (keys only), and the refusal does not repeat the password.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../core/errors.js';
import type { SshTarget } from './ssh-connect.js';

export interface SftpLocation extends SshTarget {
  /** Absolute, or relative to the login directory. */
  path: string;
}

export type RepositoryLocation = { kind: 'local'; path: string } | ({ kind: 'sftp' } & SftpLocation);

export function parseRepositoryUrl(url: string): RepositoryLocation {
  if (url.trim() === '') throw new UsageError('the repository location is empty');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', path: resolve(url) };
  if (scheme === 'file') return { kind: 'local', path: resolve(fileURLToPath(url)) };
  if (scheme !== 'sftp') throw new UsageError(`repositories on ${scheme}:// are not supported yet`, { hint: 'use a local path or sftp://user@host[:port]/path' });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError('invalid sftp URL', { hint: 'sftp://user@host[:port]/path' });
  }
  if (u.password) throw new UsageError('passwords in repository URLs are not supported', { hint: 'Lifeboat logs in with SSH keys: use -i KEYFILE or ssh-agent' });
  if (!u.hostname) throw new UsageError('the sftp URL names no host', { hint: 'sftp://user@host[:port]/path' });
  const port = u.port ? Number(u.port) : 22;
  let path = decodeURIComponent(u.pathname);
  if (path === '' || path === '/') throw new UsageError('the sftp URL names no directory', { hint: 'sftp://user@host/srv/backups/repo' });
  if (path.startsWith('/~/')) path = path.slice(3);
  if (path.split('/').includes('..')) throw new UsageError('the repository path may not contain ".."');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { kind: 'sftp', user: decodeURIComponent(u.username) || userInfo().username, host, port, path };
}

/**
 * The location as its backend names it (Backend.location): an absolute path, or
 * sftp://user@host:port/abs/path, or sftp://user@host:port/~/path for one in the login directory.
 */
export function locationText(location: RepositoryLocation): string {
  if (location.kind === 'local') return location.path;
  const host = location.host.includes(':') ? `[${location.host}]` : location.host;
  return `sftp://${location.user}@${host}:${location.port}${location.path.startsWith('/') ? '' : '/~/'}${location.path}`;
}
