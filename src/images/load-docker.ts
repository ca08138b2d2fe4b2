/**
 * Plans the images of a docker-archive: `manifest.json` (Docker ≥ 1.10, including the legacy
 * `<id>/layer.tar` + `<id>/json` + `VERSION` layout and skopeo's `<diffid>.tar` with symlinks), read
 * as untrusted input: every Config and Layers path must be a member (paths that climb out are
 * hostile), RepoTags must be name:tag references, and each layer must hash to its DiffID. An OCI
 * manifest is built for each image; the layer blobs are the archive's bytes, as they came.
 */
import { InvalidInputError } from '../core/errors.js';
import { ociLayerType, MediaType } from '../core/media-types.js';
import type { Manifest } from '../core/oci.js';
import { parseImageConfig } from '../core/oci-validate.js';
import type { Progress } from '../core/progress.js';
import { formatReference, parseReference } from '../core/reference.js';
import { JSON_LIMIT, parseStrictJson } from '../core/strict-json.js';
import { sha256 } from '../core/hashing.js';
import type { DurabilityBatch } from '../content/blob-writer.js';
import type { LocalContentStore } from '../content/local-store.js';
import { readStaged, resolveMember, type StagedArchive, type StagedMember } from './archive-members.js';
import { checkLayer, checkLayerCount, checkPlatform, type PlannedImage } from './load-checks.js';

interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

function bad(message: string): InvalidInputError {
  return new InvalidInputError(`invalid docker-archive: ${message}`, { code: 'BAD_ARCHIVE' });
}

function parseEntries(bytes: Buffer): DockerManifestEntry[] {
  const value = parseStrictJson(bytes, 'manifest.json');
  if (!Array.isArray(value) || value.length === 0) throw bad('manifest.json must be a non-empty array');
  return value.map((e: unknown, i) => {
    const o = e as Record<string, unknown>;
    if (typeof o !== 'object' || o === null) throw bad(`manifest.json entry ${i} is not an object`);
    if (typeof o.Config !== 'string') throw bad(`manifest.json entry ${i} has no Config path`);
    if (!Array.isArray(o.Layers) || !o.Layers.every((l) => typeof l === 'string')) throw bad(`manifest.json entry ${i}: Layers must be an array of paths`);
    if (o.RepoTags != null && (!Array.isArray(o.RepoTags) || !o.RepoTags.every((t) => typeof t === 'string'))) throw bad(`manifest.json entry ${i}: RepoTags must be an array of strings`);
    return { Config: o.Config, Layers: o.Layers as string[], RepoTags: (o.RepoTags as string[] | null) ?? null };
  });
}

function member(archive: StagedArchive, path: string, what: string): StagedMember {
  const m = resolveMember(archive, path);
  if (!m) throw bad(`${what} "${path}" is not in the archive`);
  return m;
}

function repoTag(tag: string): string {
  const ref = parseReference(tag, { defaultTag: false });
  if (ref.tag === undefined || ref.digest !== undefined) throw new InvalidInputError(`invalid tag "${tag}" in manifest.json: RepoTags must be name:tag`, { code: 'INVALID_REFERENCE' });
  return formatReference(ref);
}

export async function planDockerArchive(ctx: { content: LocalContentStore; batch: DurabilityBatch; archive: StagedArchive; progress: Progress }): Promise<PlannedImage[]> {
  const mj = resolveMember(ctx.archive, 'manifest.json')!;
  const entries = parseEntries(await readStaged(ctx.content, ctx.batch, mj, JSON_LIMIT, 'manifest.json'));
  const planned: PlannedImage[] = [];
  for (const [i, e] of entries.entries()) {
    const cm = member(ctx.archive, e.Config, 'Config');
    const config = parseImageConfig(await readStaged(ctx.content, ctx.batch, cm, JSON_LIMIT, `config ${e.Config}`), `config ${e.Config}`);
    const names = (e.RepoTags ?? []).map(repoTag);
    const what = names[0] ?? `entry ${i}`;
    checkPlatform(config, `image ${what}`, ctx.progress);
    checkLayerCount(config, e.Layers.length, `manifest.json entry for ${what}`);
    const layers = e.Layers.map((path, j) => {
      const m = member(ctx.archive, path, 'layer');
      checkLayer(m, config.rootfs.diff_ids[j]!, undefined, `layer ${j + 1} (${path}) of ${what}`);
      return { mediaType: ociLayerType(m.compression), digest: m.digest, size: m.size };
    });
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: cm.digest, size: cm.size },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = sha256(bytes);
    planned.push({ manifest: { digest, size: bytes.length, mediaType: MediaType.OciManifest, bytes }, config, configDigest: cm.digest, names, blobs: [cm.digest, ...layers.map((l) => l.digest)] });
  }
  return planned;
}
