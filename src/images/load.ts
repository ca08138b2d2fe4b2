/**
 * `lifeboat load`: images from a tarball (file or stdin; the tarball itself plain, gzip or zstd).
 * Accepts OCI layouts (ours, Docker 25+, skopeo/podman oci-archive) and docker-archives
 * (`manifest.json`: Docker's classic `docker save`, skopeo docker-archive). The whole archive is
 * staged invisibly and every digest, size and DiffID checked before one byte is committed, so a
 * hostile or broken archive leaves the store exactly as it was. Layers the store already has are
 * not written again (but still hashed: an archive never gets credit for bytes it did not carry).
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../core/digest.js';
import { InvalidInputError } from '../core/errors.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { autoDecompress } from '../diff/compression.js';
import { stageArchive, resolveMember } from './archive-members.js';
import type { ImageStore } from './image-store.js';
import { planDockerArchive } from './load-docker.js';
import { planOciArchive } from './load-oci.js';
import type { PlannedImage } from './load-checks.js';

export interface LoadedImage {
  id: Digest;
  manifestDigest: Digest;
  names: string[];
}

export async function loadImages(images: ImageStore, source: Readable, opts: { progress?: Progress } = {}): Promise<LoadedImage[]> {
  const progress = opts.progress ?? silentProgress;
  const content = images.content;
  const { stream } = await autoDecompress(source);
  const batch = content.newBatch();
  let plan: PlannedImage[];
  try {
    const archive = await stageArchive(content, batch, stream, progress);
    const ctx = { content, batch, archive, progress };
    if (resolveMember(archive, 'oci-layout')) plan = await planOciArchive(ctx);
    else if (resolveMember(archive, 'manifest.json')) plan = await planDockerArchive(ctx);
    else if (resolveMember(archive, 'repositories')) throw new InvalidInputError('archives without manifest.json (Docker before 1.10) are not supported', { code: 'BAD_ARCHIVE', hint: 'load it into a newer Docker and save it again' });
    else throw new InvalidInputError('unrecognized image archive: neither an OCI layout (oci-layout, index.json) nor a docker-archive (manifest.json)', { code: 'BAD_ARCHIVE' });
    await batch.keepOnly(new Set(plan.flatMap((p) => p.blobs)));
    await batch.flush();
  } catch (err) {
    await batch.discard();
    throw err;
  }
  const loaded: LoadedImage[] = [];
  for (const p of plan) {
    if (p.manifest.bytes) await content.put(p.manifest.bytes, { digest: p.manifest.digest, size: p.manifest.size });
    const desc = { mediaType: p.manifest.mediaType, digest: p.manifest.digest, size: p.manifest.size };
    if (p.names.length === 0) await images.setRef(desc, undefined);
    for (const name of p.names) await images.setRef(desc, name);
    loaded.push({ id: p.configDigest, manifestDigest: p.manifest.digest, names: p.names });
  }
  return loaded;
}
