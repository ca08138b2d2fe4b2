/** Rows for `lifeboat images`: one per name (dangling images as <none>), newest first, filtered. */
import { UsageError } from '../../core/errors.js';
import { familiarName, parseReference } from '../../core/reference.js';
import type { ImageStore } from '../../images/image-store.js';

export interface ImageRow {
  repository: string;
  tag: string;
  digest: string;
  id: string;
  created?: string;
  size: number;
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
}

function matcher(filters: string[], reference: string | undefined): (row: ImageRow, labels: Record<string, string>) => boolean {
  const tests: Array<(row: ImageRow, labels: Record<string, string>) => boolean> = [];
  if (reference) tests.push((r) => glob(reference).test(r.repository) || glob(reference).test(`${r.repository}:${r.tag}`));
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? '' : f.slice(eq + 1);
    if (key === 'dangling') {
      if (value !== 'true' && value !== 'false') throw new UsageError(`invalid filter ${f}: dangling takes true or false`);
      tests.push((r) => (r.repository === '<none>') === (value === 'true'));
    } else if (key === 'reference') {
      tests.push((r) => glob(value).test(r.repository) || glob(value).test(`${r.repository}:${r.tag}`));
    } else if (key === 'label') {
      const li = value.indexOf('=');
      tests.push((_r, labels) => (li < 0 ? value in labels : labels[value.slice(0, li)] === value.slice(li + 1)));
    } else {
      throw new UsageError(`unsupported filter "${key}" (use dangling, reference or label)`);
    }
  }
  return (row, labels) => tests.every((t) => t(row, labels));
}

export async function imageRows(images: ImageStore, opts: { reference?: string | undefined; filters: string[] }): Promise<ImageRow[]> {
  const match = matcher(opts.filters, opts.reference);
  const rows: ImageRow[] = [];
  for (const img of await images.list()) {
    const base = { digest: img.manifestDescriptor.digest, id: img.id, size: img.size, ...(img.config.created ? { created: img.config.created } : {}) };
    const labels = img.config.config?.Labels ?? {};
    const named = img.names.map((n) => {
      const ref = parseReference(n, { defaultTag: false });
      return { ...base, repository: familiarName(ref), tag: ref.tag ?? '<none>' };
    });
    for (const row of named.length ? named : [{ ...base, repository: '<none>', tag: '<none>' }]) if (match(row, labels)) rows.push(row);
  }
  return rows.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag));
}
