/**
 * Copying closures between the local store and a repository, with the edges every record type
 * registers in ops/gc.ts (`childrenOf`): images now, volume snapshots and backups as they land. The
 * backup, restore and migrate operations call these; repository/ itself knows no record type.
 *
 * Both need the caller to hold a repository lock (shared) for the whole copy, and, for a push,
 * until the ref naming the roots is written: pushClosure → repo.putRef → release.
 */
import type { Descriptor } from '../core/oci.js';
import type { LocalContentStore } from '../content/local-store.js';
import { pushClosure, type CopyReport, type PushOptions } from '../repository/push.js';
import { pullClosure, type PullOptions } from '../repository/pull.js';
import type { Repository } from '../repository/repository.js';
import { childrenOf } from './gc.js';

/** Sends the closure of `roots` from the local store to the repository, skipping what it has. */
export function pushToRepository(content: LocalContentStore, repo: Repository, roots: Descriptor[], opts: PushOptions = {}): Promise<CopyReport> {
  return pushClosure(content, repo, roots, (d) => childrenOf(content, d), opts);
}

/** Fetches the closure of `roots` from the repository into the local store, verified, skipping what it has. */
export function pullFromRepository(repo: Repository, content: LocalContentStore, roots: Descriptor[], opts: PullOptions = {}): Promise<CopyReport> {
  return pullClosure(repo, content, roots, (d) => childrenOf(content, d), opts);
}
