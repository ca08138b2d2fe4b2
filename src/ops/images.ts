/**
 * Image use cases behind `rmi`, `image prune` and `history`, with Docker's semantics: removing a
 * name that other names share only untags; removing an image a container uses needs --force; blobs
 * go only when nothing references them any more (garbage collection decides, not this file).
 */
import type { Digest } from '../core/digest.js';
import { ConflictError } from '../core/errors.js';
import { familiarString, parseReference, formatReference } from '../core/reference.js';
import type { ImageRecord, ImageStore } from '../images/image-store.js';
import { collectGarbage } from './gc.js';

/** Answers which containers use an image (by image ID); the runtime provides it. */
export type ImageUsers = (imageId: Digest) => Promise<string[]>;
export const noUsers: ImageUsers = async () => [];

export interface RemovalLine {
  kind: 'Untagged' | 'Deleted';
  ref: string;
}

function isNameOf(input: string, img: ImageRecord): string | undefined {
  try {
    const full = formatReference(parseReference(input));
    return img.names.includes(full) ? full : undefined;
  } catch {
    return undefined;
  }
}

/** `rmi`: untag or delete, then collect what became unreachable. */
export async function removeImages(images: ImageStore, inputs: string[], opts: { force?: boolean; usedBy?: ImageUsers }): Promise<RemovalLine[]> {
  const usedBy = opts.usedBy ?? noUsers;
  const lines: RemovalLine[] = [];
  const deletedIds: Digest[] = [];
  for (const input of inputs) {
    const img = await images.resolve(input);
    const name = isNameOf(input, img);
    if (name && img.names.length > 1) {
      await images.untag(name);
      lines.push({ kind: 'Untagged', ref: familiarString(parseReference(name)) });
      continue;
    }
    if (!name && img.names.length > 1 && !opts.force) {
      throw new ConflictError(`unable to delete ${img.id.slice(7, 19)} (must be forced): image is referenced in multiple repositories`, {
        hint: 'remove the tags one by one, or use --force',
      });
    }
    const users = await usedBy(img.id);
    if (users.length > 0 && !opts.force) {
      throw new ConflictError(`unable to remove image ${input}: container ${users[0]} is using it`, { hint: 'remove the container first, or use --force' });
    }
    for (const n of img.names) lines.push({ kind: 'Untagged', ref: familiarString(parseReference(n)) });
    await images.forget(img.manifestDescriptor.digest);
    lines.push({ kind: 'Deleted', ref: img.id });
    deletedIds.push(img.id);
  }
  if (deletedIds.length > 0) {
    const gc = await collectGarbage(images.content);
    for (const b of gc.deleted) if (!deletedIds.includes(b.digest)) lines.push({ kind: 'Deleted', ref: b.digest });
  }
  return lines;
}

export interface PruneResult {
  deleted: Digest[];
  reclaimedBytes: number;
}

/** `image prune`: dangling images (with --all, every image no container uses). */
export async function pruneImages(images: ImageStore, opts: { all?: boolean; usedBy?: ImageUsers }): Promise<PruneResult> {
  const usedBy = opts.usedBy ?? noUsers;
  const deleted: Digest[] = [];
  for (const img of await images.list()) {
    if (img.names.length > 0 && !opts.all) continue;
    if ((await usedBy(img.id)).length > 0) continue;
    await images.forget(img.manifestDescriptor.digest);
    deleted.push(img.id);
  }
  const gc = await collectGarbage(images.content);
  return { deleted, reclaimedBytes: gc.reclaimedBytes };
}

export interface HistoryRow {
  id: string;
  created?: string;
  createdBy: string;
  size: number;
  comment: string;
}

/** `history`: newest first; the top row carries the image ID, layer rows their sizes. */
export function imageHistory(img: ImageRecord): HistoryRow[] {
  const rows: HistoryRow[] = [];
  let layer = 0;
  for (const h of img.config.history ?? []) {
    const size = h.empty_layer ? 0 : (img.manifest.layers[layer++]?.size ?? 0);
    rows.push({ id: '<missing>', ...(h.created ? { created: h.created } : {}), createdBy: h.created_by ?? '', size, comment: h.comment ?? '' });
  }
  if (rows.length === 0) {
    img.manifest.layers.forEach((l) => rows.push({ id: '<missing>', createdBy: '', size: l.size, comment: '' }));
  }
  rows.reverse();
  if (rows[0]) rows[0].id = img.id;
  return rows;
}
