/**
 * Which containers mount a named volume, read from the container records
 * (containers/<id>/config.json, `mounts[]` with type "volume" and source = the volume's name), the
 * same source cli/views/volume-users.ts answers "in use?" from. Whether those containers run is the
 * runtime's to say (ContainerControl in volume-quiesce.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { storeLayout } from '../core/layout.js';

export interface VolumeUser {
  id: string;
  name: string;
}

interface RecordShape {
  id?: string;
  name?: string;
  mounts?: Array<{ type?: string; source?: string }>;
}

/** Every volume that some container mounts, with its containers. One pass over the records. */
export async function volumeUsageMap(root: string): Promise<Map<string, VolumeUser[]>> {
  const dir = storeLayout(root).containers;
  const out = new Map<string, VolumeUser[]>();
  for (const id of await readdir(dir).catch(() => [] as string[])) {
    let rec: RecordShape;
    try {
      rec = JSON.parse(await readFile(join(dir, id, 'config.json'), 'utf8')) as RecordShape;
    } catch {
      continue; // being created or removed
    }
    for (const m of rec.mounts ?? []) {
      if (m.type !== 'volume' || typeof m.source !== 'string') continue;
      const users = out.get(m.source) ?? [];
      if (!users.some((u) => u.id === id)) users.push({ id, name: rec.name ?? id.slice(0, 12) });
      out.set(m.source, users);
    }
  }
  return out;
}

export async function volumeUsers(root: string, volume: string): Promise<VolumeUser[]> {
  return (await volumeUsageMap(root)).get(volume) ?? [];
}
