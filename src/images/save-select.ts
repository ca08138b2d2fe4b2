/**
 * Which images and names `save` writes, with Docker's rules: `name:tag` saves that tag, a bare
 * repository name (`busybox`) saves every tag of it, an image ID saves the image without names.
 * Two inputs naming the same image become one image with both names.
 */
import { NotFoundError } from '../core/errors.js';
import { formatReference, parseReference, repositoryName } from '../core/reference.js';
import type { ImageRecord, ImageStore } from './image-store.js';

export interface SaveSelection {
  image: ImageRecord;
  /** Full normalized references to write for it. */
  names: string[];
}

function bareRepository(input: string): string | undefined {
  if (input.includes('@') || input.slice(input.lastIndexOf('/') + 1).includes(':')) return undefined;
  try {
    return repositoryName(parseReference(input, { defaultTag: false }));
  } catch {
    return undefined;
  }
}

export async function selectForSave(images: ImageStore, inputs: string[]): Promise<SaveSelection[]> {
  const all = await images.list();
  const chosen = new Map<string, SaveSelection>();
  const add = (image: ImageRecord, names: string[]) => {
    const key = image.manifestDescriptor.digest;
    const sel = chosen.get(key) ?? { image, names: [] };
    for (const n of names) if (!sel.names.includes(n)) sel.names.push(n);
    chosen.set(key, sel);
  };
  for (const input of inputs) {
    const repo = bareRepository(input);
    const tagged = repo ? all.filter((i) => i.names.some((n) => repositoryName(parseReference(n)) === repo)) : [];
    if (tagged.length > 0) {
      for (const image of tagged) add(image, image.names.filter((n) => repositoryName(parseReference(n)) === repo));
      continue;
    }
    const image = await images.resolve(input).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new NotFoundError('image', input, { hint: 'list images with: lifeboat images' }) : err;
    });
    let name: string | undefined;
    try {
      const full = formatReference(parseReference(input));
      if (image.names.includes(full)) name = full;
    } catch {
      /* an image ID */
    }
    add(image, name ? [name] : []);
  }
  return [...chosen.values()];
}
