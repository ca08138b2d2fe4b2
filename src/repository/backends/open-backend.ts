/**
 * From a repository URL (location.ts) to a ready backend, decorated: RetryBackend(LimitBackend(raw)).
 * Retries sit outside the limiter, so a backoff never holds a connection slot.
 */
import type { Backend } from '../backend.js';
import { LimitBackend } from './limit-backend.js';
import { LocalBackend } from './local-backend.js';
import { parseRepositoryUrl, type RepositoryLocation } from './location.js';
import { RetryBackend, type RetryOptions } from './retry-backend.js';
import type { SshOptions } from './ssh-connect.js';

export interface OpenBackendOptions extends SshOptions {
  retry?: RetryOptions;
  /** Operations in flight at once. Default 4 (local), 8 (SFTP: requests share one SSH session). */
  connections?: number;
}

/** The undecorated backend for `location` (ssh2 is loaded only for SFTP). */
export async function rawBackend(location: RepositoryLocation, opts: SshOptions = {}): Promise<Backend> {
  if (location.kind === 'local') return new LocalBackend(location.path);
  const { SftpBackend } = await import('./sftp-backend.js');
  return new SftpBackend(location, opts);
}

export async function openBackend(url: string, opts: OpenBackendOptions = {}): Promise<Backend> {
  const location = parseRepositoryUrl(url);
  const limit = opts.connections ?? (location.kind === 'local' ? 4 : 8);
  return new RetryBackend(new LimitBackend(await rawBackend(location, opts), limit), opts.retry);
}
