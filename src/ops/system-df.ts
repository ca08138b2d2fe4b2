/**
 * `lifeboat system df`: disk use the way `docker system df` reports it, plus what Docker hides.
 * An image's VIRTUAL size counts every blob it uses; the real size of all images counts each blob
 * once. SHARED is what an image shares with another image, UNIQUE what removing it would free.
 * Containers and volumes are measured on disk (upper dirs, volume data), ACTIVE meaning running or
 * in use.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { storeLayout } from '../core/layout.js';
import type { ImageRecord, ImageStore } from '../images/image-store.js';
import type { ImageUsers } from './images.js';

export interface ImageUsage {
  image: ImageRecord;
  virtualSize: number;
  sharedSize: number;
  uniqueSize: number;
  containers: number;
}

export interface DfRow {
  type: 'Images' | 'Containers' | 'Local Volumes';
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

export interface DfResult {
  rows: DfRow[];
  images: ImageUsage[];
}

/** Bytes under a directory, counting each inode once; never follows symlinks. */
export async function diskUsage(dir: string, seen = new Set<string>()): Promise<number> {
  let total = 0;
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return 0;
  const key = `${st.dev}:${st.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  total += st.isDirectory() ? 0 : st.blocks * 512;
  if (st.isDirectory()) for (const name of await readdir(dir)) total += await diskUsage(join(dir, name), seen);
  return total;
}

function blobsOf(img: ImageRecord): Array<[Digest, number]> {
  return [[img.id, img.manifest.config.size], ...img.manifest.layers.map((l): [Digest, number] => [l.digest, l.size])];
}

export async function imageUsage(images: ImageStore, usedBy: ImageUsers): Promise<ImageUsage[]> {
  const list = await images.list();
  const owners = new Map<Digest, number>();
  for (const img of list) for (const [d] of new Map(blobsOf(img))) owners.set(d, (owners.get(d) ?? 0) + 1);
  const out: ImageUsage[] = [];
  for (const image of list) {
    const blobs = new Map(blobsOf(image));
    let shared = 0;
    let unique = 0;
    for (const [d, size] of blobs) (owners.get(d)! > 1 ? (shared += size) : (unique += size));
    out.push({ image, virtualSize: shared + unique, sharedSize: shared, uniqueSize: unique, containers: (await usedBy(image.id)).length });
  }
  return out;
}

async function containerRows(root: string): Promise<DfRow> {
  const dir = storeLayout(root).containers;
  let total = 0;
  let active = 0;
  let size = 0;
  let reclaimable = 0;
  for (const id of await readdir(dir).catch(() => [] as string[])) {
    const state = await readFile(join(dir, id, 'state.json'), 'utf8').then((t) => JSON.parse(t) as { status?: string }).catch(() => ({ status: undefined }));
    const bytes = await diskUsage(join(dir, id, 'upper'));
    total++;
    size += bytes;
    if (state.status === 'running' || state.status === 'paused') active++;
    else reclaimable += bytes;
  }
  return { type: 'Containers', total, active, size, reclaimable };
}

async function volumeRows(root: string, inUse: (name: string) => Promise<boolean>): Promise<DfRow> {
  const dir = storeLayout(root).volumes;
  let total = 0;
  let active = 0;
  let size = 0;
  let reclaimable = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const bytes = await diskUsage(join(dir, name, '_data'));
    total++;
    size += bytes;
    if (await inUse(name)) active++;
    else reclaimable += bytes;
  }
  return { type: 'Local Volumes', total, active, size, reclaimable };
}

export async function systemDf(images: ImageStore, usedBy: ImageUsers, volumeInUse: (name: string) => Promise<boolean>): Promise<DfResult> {
  const usage = await imageUsage(images, usedBy);
  const real = new Map<Digest, number>();
  const needed = new Set<Digest>();
  for (const u of usage) for (const [d, s] of blobsOf(u.image)) {
    real.set(d, s);
    if (u.containers > 0) needed.add(d);
  }
  const size = [...real.values()].reduce((a, b) => a + b, 0);
  const reclaimable = [...real].filter(([d]) => !needed.has(d)).reduce((a, [, s]) => a + s, 0);
  const imageRow: DfRow = { type: 'Images', total: usage.length, active: usage.filter((u) => u.containers > 0).length, size, reclaimable };
  return { rows: [imageRow, await containerRows(images.content.root), await volumeRows(images.content.root, volumeInUse)], images: usage };
}
