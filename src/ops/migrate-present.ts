/**
 * "Skip every blob the target's store already has", with the push as it is today.
 *
 * A push (repository/push.ts) skips what the repository's index names. The temporary repository
 * of a migration starts empty, but the target's STORE may already hold the image (the base image
 * every host builds the same way, or the image of an earlier migration). Those blobs need not
 * travel: the restore there pulls the image with pullFromRepository, which skips every blob the
 * store has before it looks in the repository. So they are entered into THIS handle's in-memory
 * index as located in a pack that does not exist (AT_TARGET_STORE), and the push walks past them.
 *
 * Why this is safe: the entries live only in this process's index object; index files are
 * written only for packs a push uploaded or adopted (pack-uploader.ts, adopt.ts), never from
 * this view, so the repository on disk never names the phantom pack. Nothing here reads a blob
 * through this handle. Only image blobs are entered: the restore fetches the writable layer and
 * the snapshots from the repository alone (restore-fetch.ts), so those must always be sent.
 *
 * The clean form of this is an option of the push (a `present(digest)` predicate beside the
 * index, passed through BackupOptions.copy); this file goes away when that exists.
 */
import { sha256 } from '../core/hashing.js';
import type { Descriptor } from '../core/oci.js';
import type { Repository } from '../repository/repository.js';

/** The id of the pack that does not exist: "in the target's store". */
export const AT_TARGET_STORE = sha256(Buffer.from('lifeboat: blobs the migration target already holds'));

/** Makes pushes through `repo` treat `blobs` as already there. */
export async function countAsPresent(repo: Repository, blobs: Descriptor[]): Promise<void> {
  if (blobs.length === 0) return;
  const index = await repo.index();
  index.addPack({
    pack: AT_TARGET_STORE,
    size: 0,
    blobs: blobs.map((d) => ({ digest: d.digest, offset: 0, length: 0, encoding: 'raw' as const, rawLength: d.size })),
  });
}
