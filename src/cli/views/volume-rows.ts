/**
 * `volume ls` rows and `volume inspect` output in Docker's shapes (DRIVER, VOLUME NAME; CreatedAt,
 * Driver, Labels, Mountpoint, Name, Options, Scope), and the filters Docker's `volume ls` takes:
 * dangling=true|false (not used by any container), label=KEY[=VALUE], name=SUBSTRING.
 */
import { UsageError } from '../../core/errors.js';
import { VolumeStore, type VolumeMeta } from '../../volumes/volume-store.js';

export interface VolumeRow {
  Driver: 'local';
  Name: string;
  Labels: Record<string, string>;
  Mountpoint: string;
  Scope: 'local';
  CreatedAt: string;
  Anonymous: boolean;
}

export function describeVolume(volumes: VolumeStore, meta: VolumeMeta): VolumeRow & { Options: Record<string, string> } {
  return {
    CreatedAt: meta.created,
    Driver: 'local',
    Labels: meta.labels,
    Mountpoint: volumes.dataPath(meta.name),
    Name: meta.name,
    Options: meta.options,
    Scope: 'local',
    Anonymous: meta.anonymous,
  };
}

/** `inspect NAME` for volumes: undefined when NAME is no volume (nor could be one). */
export async function inspectVolume(root: string, name: string): Promise<ReturnType<typeof describeVolume> | undefined> {
  const volumes = new VolumeStore(root);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name) || !(await volumes.exists(name))) return undefined;
  return describeVolume(volumes, await volumes.get(name));
}

/** `KEY=VALUE` strings (from --label, --opt) → a record; a bare KEY gets the empty value. */
export function keyValues(entries: readonly string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries ?? []) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    if (key === '') throw new UsageError(`invalid ${what} "${e}": expected KEY=VALUE`);
    out[key] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

export function volumeFilter(filters: readonly string[], inUse: (name: string) => boolean): (m: VolumeMeta) => boolean {
  const tests: Array<(m: VolumeMeta) => boolean> = [];
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? '' : f.slice(eq + 1);
    if (key === 'dangling') {
      if (!['true', 'false', '1', '0'].includes(value)) throw new UsageError(`invalid filter ${f}: dangling takes true or false`);
      const dangling = value === 'true' || value === '1';
      tests.push((m) => !inUse(m.name) === dangling);
    } else if (key === 'label') {
      const li = value.indexOf('=');
      tests.push((m) => (li < 0 ? value in m.labels : m.labels[value.slice(0, li)] === value.slice(li + 1)));
    } else if (key === 'name') {
      tests.push((m) => m.name.includes(value));
    } else if (key === 'driver') {
      tests.push(() => value === 'local');
    } else {
      throw new UsageError(`unsupported filter "${key}" (use dangling, label, name or driver)`);
    }
  }
  return (m) => tests.every((t) => t(m));
}
