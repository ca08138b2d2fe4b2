/**
 * Plans the images of an OCI image layout archive (ours, Docker 25+, skopeo and podman oci-archive):
 * `oci-layout` must say 1.0.0; `index.json` is walked (nested indexes to a bounded depth, the
 * host's platform chosen); every manifest, config and layer must be in the archive under
 * `blobs/<alg>/<hex>` with the digest and size its descriptor claims. Names come from
 * `io.containerd.image.name`, or from `org.opencontainers.image.ref.name` when that is a full
 * reference; a bare tag ("latest") names nothing, as with Docker. Foreign-layer `urls` are never fetched.
 */
import { hexOf } from '../core/digest.js';
import { DigestMismatchError, InvalidInputError, SizeMismatchError } from '../core/errors.js';
import { isIndexType, isManifestType } from '../core/media-types.js';
import { Annotation, hostPlatform, type Descriptor } from '../core/oci.js';
import { parseImageConfig, parseIndex, parseLayoutHeader, parseManifest } from '../core/oci-validate.js';
import type { Progress } from '../core/progress.js';
import { formatReference, parseReference } from '../core/reference.js';
import { JSON_LIMIT } from '../core/strict-json.js';
import type { DurabilityBatch } from '../content/blob-writer.js';
import type { LocalContentStore } from '../content/local-store.js';
import { readStaged, resolveMember, type StagedArchive, type StagedMember } from './archive-members.js';
import { checkLayer, checkLayerCount, checkPlatform, type PlannedImage } from './load-checks.js';

const MAX_INDEX_DEPTH = 4;
const MAX_DESCRIPTORS = 1000;

interface Ctx {
  content: LocalContentStore;
  batch: DurabilityBatch;
  archive: StagedArchive;
  progress: Progress;
}

function blob(ctx: Ctx, d: Descriptor, what: string): StagedMember {
  const m = resolveMember(ctx.archive, `blobs/sha256/${hexOf(d.digest)}`);
  if (!m) {
    const hint = d.urls?.length ? ' (a foreign layer: Lifeboat never fetches its urls)' : '';
    throw new InvalidInputError(`${what} ${d.digest} is not in the archive${hint}`, { code: 'MISSING_BLOB' });
  }
  if (m.digest !== d.digest) throw new DigestMismatchError(d.digest, m.digest, what);
  if (m.size !== d.size) throw new SizeMismatchError(d.size, m.size, what);
  return m;
}

function namesOf(d: Descriptor): string[] {
  const candidates = [d.annotations?.[Annotation.ContainerdImageName], d.annotations?.[Annotation.RefName]];
  for (const c of candidates) {
    if (!c || !/[/:@]/.test(c)) continue; // a bare tag names nothing
    try {
      return [formatReference(parseReference(c))];
    } catch {
      throw new InvalidInputError(`invalid image name "${c}" in index.json`, { code: 'INVALID_REFERENCE' });
    }
  }
  return [];
}

function platformMatches(d: Descriptor): boolean {
  const host = hostPlatform();
  return !d.platform || (d.platform.os === host.os && d.platform.architecture === host.architecture);
}

async function planManifest(ctx: Ctx, d: Descriptor, names: string[]): Promise<PlannedImage> {
  const m = blob(ctx, d, 'manifest');
  const manifest = parseManifest(await readStaged(ctx.content, ctx.batch, m, JSON_LIMIT, `manifest ${d.digest}`), `manifest ${d.digest}`);
  const cm = blob(ctx, manifest.config, 'image config');
  const config = parseImageConfig(await readStaged(ctx.content, ctx.batch, cm, JSON_LIMIT, 'image config'), `image config ${manifest.config.digest}`);
  const what = names[0] ?? manifest.config.digest.slice(7, 19);
  checkPlatform(config, `image ${what}`, ctx.progress);
  checkLayerCount(config, manifest.layers.length, `manifest ${d.digest.slice(7, 19)}`);
  manifest.layers.forEach((l, i) => checkLayer(blob(ctx, l, `layer ${i + 1}`), config.rootfs.diff_ids[i]!, l.mediaType, `layer ${i + 1} (${l.digest.slice(7, 19)})`));
  return {
    manifest: { digest: d.digest, size: d.size, mediaType: d.mediaType },
    config,
    configDigest: manifest.config.digest,
    names,
    blobs: [d.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)],
  };
}

export async function planOciArchive(ctx: Ctx): Promise<PlannedImage[]> {
  const layout = resolveMember(ctx.archive, 'oci-layout')!;
  parseLayoutHeader(await readStaged(ctx.content, ctx.batch, layout, 4096, 'oci-layout'));
  const indexMember = resolveMember(ctx.archive, 'index.json');
  if (!indexMember) throw new InvalidInputError('OCI archive has no index.json', { code: 'BAD_ARCHIVE' });
  const index = parseIndex(await readStaged(ctx.content, ctx.batch, indexMember, JSON_LIMIT, 'index.json'), 'index.json');
  const planned: PlannedImage[] = [];
  let seen = 0;
  const walk = async (descs: Descriptor[], depth: number, inherited: string[]): Promise<void> => {
    for (const d of descs) {
      if (++seen > MAX_DESCRIPTORS) throw new InvalidInputError(`index.json lists more than ${MAX_DESCRIPTORS} manifests`);
      const own = namesOf(d);
      const names = own.length ? own : inherited;
      if (isManifestType(d.mediaType) && platformMatches(d)) planned.push(await planManifest(ctx, d, names));
      else if (isIndexType(d.mediaType)) {
        if (depth >= MAX_INDEX_DEPTH) throw new InvalidInputError(`image indexes nested deeper than ${MAX_INDEX_DEPTH}`);
        const nested = parseIndex(await readStaged(ctx.content, ctx.batch, blob(ctx, d, 'image index'), JSON_LIMIT, 'image index'));
        const before = planned.length;
        await walk(nested.manifests, depth + 1, names);
        if (planned.length === before) throw new InvalidInputError(`image index ${d.digest.slice(7, 19)} has no image for ${hostPlatform().os}/${hostPlatform().architecture}`, { code: 'PLATFORM' });
      }
    }
  };
  await walk(index.manifests, 0, []);
  if (planned.length === 0) throw new InvalidInputError('the archive holds no image manifest', { code: 'BAD_ARCHIVE' });
  return planned;
}

