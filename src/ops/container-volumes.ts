/**
 * Volumes and binds for a new container, with Docker's rules:
 *
 *   -v name:/path[:ro]   a named volume, created when missing; a new volume gets the image's
 *                        content at /path copied in at first start (copy-up)
 *   -v /host:/path[:ro]  a bind mount of a host path (created as a directory when missing, as -v does)
 *   -v /path             an anonymous volume (random name), removed by `rm -v` and `--rm`
 *   image VOLUME /path   an anonymous volume too, unless a -v already targets /path
 *
 * Parsing is pure (parseVolumeSpec); planVolumes creates what is missing and returns the mounts
 * plus the anonymous volumes made, so a failed create can remove them again.
 */
import { mkdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { MountSpec } from '../runtime/container-record.js';
import type { VolumeStore } from '../volumes/volume-store.js';

export interface VolumeRequest {
  kind: 'named' | 'bind' | 'anonymous';
  source: string;
  target: string;
  readOnly: boolean;
  /** `:nocopy`: no copy-up of the image's content into a new volume. */
  noCopy?: boolean;
}

export function parseVolumeSpec(spec: string): VolumeRequest {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const target = parts[0]!;
    if (!target.startsWith('/')) throw new UsageError(`invalid volume specification "${spec}": the container path must be absolute`);
    return { kind: 'anonymous', source: '', target: posix.normalize(target), readOnly: false };
  }
  if (parts.length > 3) throw new UsageError(`invalid volume specification "${spec}"`);
  const [source, target, mode = 'rw'] = parts as [string, string, string?];
  if (!target.startsWith('/')) throw new UsageError(`invalid volume specification "${spec}": the container path must be absolute`);
  const flags = mode.split(',');
  for (const f of flags) if (!['ro', 'rw', 'z', 'Z', 'nocopy'].includes(f)) throw new UsageError(`invalid mode "${f}" in volume specification "${spec}"`);
  if (source === '') throw new UsageError(`invalid volume specification "${spec}": empty source`);
  if (posix.normalize(target) === '/') throw new UsageError(`invalid volume specification "${spec}": cannot mount over /`);
  return { kind: source.startsWith('/') ? 'bind' : 'named', source: source.startsWith('/') ? posix.normalize(source) : source, target: posix.normalize(target), readOnly: flags.includes('ro'), ...(flags.includes('nocopy') ? { noCopy: true } : {}) };
}

export interface PlannedVolumes {
  mounts: MountSpec[];
  /** Volumes this plan created (named ones that did not exist, and anonymous ones). */
  created: string[];
}

export async function planVolumes(volumes: VolumeStore, specs: readonly string[], imageVolumes: readonly string[]): Promise<PlannedVolumes> {
  const requests = specs.map(parseVolumeSpec);
  const targets = new Set<string>();
  for (const r of requests) {
    if (targets.has(r.target)) throw new UsageError(`duplicate mount point: ${r.target}`);
    targets.add(r.target);
  }
  for (const v of imageVolumes) {
    const target = posix.normalize(v);
    if (!targets.has(target)) requests.push({ kind: 'anonymous', source: '', target, readOnly: false }), targets.add(target);
  }
  const mounts: MountSpec[] = [];
  const created: string[] = [];
  try {
    for (const r of requests) {
      if (r.kind === 'bind') {
        const st = await stat(r.source).catch(() => undefined);
        if (!st) await mkdir(r.source, { recursive: true, mode: 0o755 });
        mounts.push({ type: 'bind', source: r.source, target: r.target, readOnly: r.readOnly, hostPath: r.source });
        continue;
      }
      const existed = r.kind === 'named' && (await volumes.exists(r.source));
      const meta = await volumes.create(r.kind === 'named' ? r.source : undefined, { anonymous: r.kind === 'anonymous' });
      if (!existed) created.push(meta.name);
      mounts.push({
        type: 'volume',
        source: meta.name,
        target: r.target,
        readOnly: r.readOnly,
        hostPath: volumes.dataPath(meta.name),
        ...(r.kind === 'anonymous' ? { anonymous: true } : {}),
        ...(!existed && !r.noCopy ? { copyUp: true } : {}),
      });
    }
  } catch (err) {
    for (const name of created) await volumes.remove(name).catch(() => undefined);
    throw err;
  }
  return { mounts, created };
}
