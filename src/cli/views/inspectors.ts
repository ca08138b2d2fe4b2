/**
 * `inspect` output per kind, in Docker's shapes and field names so scripts written for
 * `docker inspect` mostly carry over. Each inspector returns undefined when the name is not of its kind.
 */
import { NotFoundError } from '../../core/errors.js';
import { familiarName, familiarString, parseReference } from '../../core/reference.js';
import type { ImageRecord } from '../../images/image-store.js';
import type { Cli } from '../command.js';

export interface Inspector {
  kind: 'container' | 'image' | 'volume';
  inspect(cli: Cli, name: string): Promise<unknown>;
}

export function describeImage(img: ImageRecord): Record<string, unknown> {
  const names = img.names.map((n) => parseReference(n, { defaultTag: false }));
  return {
    Id: img.id,
    RepoTags: names.filter((r) => r.tag !== undefined).map((r) => familiarString(r)),
    RepoDigests: [...new Set(names.map((r) => `${familiarName(r)}@${img.manifestDescriptor.digest}`))],
    ManifestDigest: img.manifestDescriptor.digest,
    Created: img.config.created,
    Author: img.config.author ?? '',
    Architecture: img.config.architecture,
    Os: img.config.os,
    Size: img.size,
    Config: img.config.config ?? {},
    RootFS: { Type: 'layers', Layers: img.config.rootfs.diff_ids },
    Layers: img.manifest.layers,
    History: img.config.history ?? [],
  };
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export const INSPECTORS: Inspector[] = [
  { kind: 'container', inspect: async (cli, name) => (await import('./container-inspect.js')).inspectContainer(cli.root, name) },
  { kind: 'image', inspect: async (cli, name) => orUndefined((await cli.images()).resolve(name).then(describeImage)) },
  { kind: 'volume', inspect: async (cli, name) => (await import('./volume-rows.js')).inspectVolume(cli.root, name) },
];
