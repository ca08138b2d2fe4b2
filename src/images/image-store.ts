/**
 * Images in the local store: named refs (content/refs.ts) → manifest blob → config blob + layer
 * blobs. The IMAGE ID users see is the config digest, as in Docker. An image whose last tag moved
 * away stays as an unnamed ("dangling") entry until `image prune` or `rmi`, so garbage collection
 * never takes an image someone could still run by ID.
 */
import { isDigest, type Digest } from '../core/digest.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor, ImageConfig, Manifest } from '../core/oci.js';
import { formatReference, parseReference } from '../core/reference.js';
import type { LocalContentStore } from '../content/local-store.js';
import { RefStore, namedDescriptor, refName } from '../content/refs.js';

export interface ImageRecord {
  /** Config digest: what Docker calls the image ID. */
  id: Digest;
  manifestDescriptor: Descriptor;
  manifest: Manifest;
  config: ImageConfig;
  /** Full normalized refs that point at this manifest. */
  names: string[];
  /** Bytes of config plus layers as stored. */
  size: number;
}

export interface NewImage {
  config: ImageConfig;
  layers: Descriptor[];
  /** Full or familiar reference to tag the image with. */
  name?: string;
  /** Docker schema2 media types instead of OCI (for images that must look like Docker's). */
  docker?: boolean;
  annotations?: Record<string, string>;
}

export class ImageStore {
  readonly refs: RefStore;

  constructor(readonly content: LocalContentStore) {
    this.refs = new RefStore(content.root);
  }

  /** Every image with all of its names; dangling ones have none. */
  async list(): Promise<ImageRecord[]> {
    const entries = await this.refs.entries();
    const byManifest = new Map<Digest, Descriptor[]>();
    for (const d of entries) byManifest.set(d.digest, [...(byManifest.get(d.digest) ?? []), d]);
    const out: ImageRecord[] = [];
    for (const descs of byManifest.values()) {
      const rec = await this.load(descs[0]!).catch(() => undefined);
      if (rec) out.push({ ...rec, names: descs.map(refName).filter((n): n is string => n !== undefined) });
    }
    return out;
  }

  /** Loads manifest and config behind a manifest descriptor (verified reads). */
  async load(desc: Descriptor): Promise<ImageRecord> {
    const manifest = JSON.parse((await this.content.readBytes(desc.digest)).toString('utf8')) as Manifest;
    const config = JSON.parse((await this.content.readBytes(manifest.config.digest)).toString('utf8')) as ImageConfig;
    const size = manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    const name = refName(desc);
    return { id: manifest.config.digest, manifestDescriptor: namedDescriptor(desc, undefined), manifest, config, names: name ? [name] : [], size };
  }

  /**
   * Finds an image by reference (`busybox`, `host:5000/a:1`, `a@sha256:<manifest>`), by image ID
   * (`sha256:<config>`), or by a unique prefix of the ID. Names win over ID prefixes, as in Docker.
   */
  async resolve(input: string): Promise<ImageRecord> {
    const images = await this.list();
    const idLike = /^(sha256:)?[a-f0-9]{1,64}$/.test(input);
    let ref: string | undefined;
    try {
      const parsed = parseReference(input);
      ref = formatReference(parsed);
      if (parsed.digest) {
        const hit = images.find((i) => i.manifestDescriptor.digest === parsed.digest || i.id === parsed.digest);
        if (hit) return hit;
      }
    } catch (err) {
      if (!idLike) throw err;
    }
    const named = ref && images.find((i) => i.names.includes(ref));
    if (named) return named;
    if (idLike) {
      const hex = input.replace(/^sha256:/, '');
      const hits = images.filter((i) => i.id.slice(7).startsWith(hex) || i.manifestDescriptor.digest.slice(7).startsWith(hex));
      const ids = new Set(hits.map((h) => h.id));
      if (ids.size === 1) return hits[0]!;
      if (ids.size > 1) throw new ConflictError(`image ID prefix "${input}" is ambiguous: it matches ${ids.size} images`, { hint: 'give more characters of the ID' });
    }
    throw new NotFoundError('image', input, { hint: 'list images with: lifeboat images' });
  }

  /** Writes config and manifest blobs, and tags the result when a name is given. */
  async create(img: NewImage): Promise<ImageRecord> {
    for (const l of img.layers) {
      if (!(await this.content.info(l.digest))) throw new InvalidInputError(`layer ${l.digest} is not in the store`);
    }
    if (img.config.rootfs.diff_ids.length !== img.layers.length) {
      throw new InvalidInputError(`image has ${img.layers.length} layers but ${img.config.rootfs.diff_ids.length} diff_ids`);
    }
    const configBytes = Buffer.from(JSON.stringify(img.config));
    const configInfo = await this.content.put(configBytes);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: img.docker ? MediaType.DockerManifest : MediaType.OciManifest,
      config: { mediaType: img.docker ? MediaType.DockerConfig : MediaType.OciConfig, digest: configInfo.digest, size: configInfo.size },
      layers: img.layers,
      ...(img.annotations ? { annotations: img.annotations } : {}),
    };
    const manifestInfo = await this.content.put(Buffer.from(JSON.stringify(manifest)));
    const desc: Descriptor = { mediaType: manifest.mediaType!, digest: manifestInfo.digest, size: manifestInfo.size };
    const name = img.name === undefined ? undefined : formatReference(parseReference(img.name));
    await this.setRef(desc, name);
    return { id: configInfo.digest, manifestDescriptor: desc, manifest, config: img.config, names: name ? [name] : [], size: configInfo.size + img.layers.reduce((n, l) => n + l.size, 0) };
  }

  /**
   * Points `name` at `desc` (or adds an unnamed entry when name is undefined). An image that loses
   * its last name this way stays as a dangling entry.
   */
  async setRef(desc: Descriptor, name: string | undefined): Promise<void> {
    await this.refs.update((entries) => {
      const previous = name === undefined ? undefined : entries.find((e) => refName(e) === name);
      const keep = entries.filter((e) => e !== previous && !(e.digest === desc.digest && refName(e) === undefined));
      keep.push(namedDescriptor(desc, name));
      if (previous && previous.digest !== desc.digest && !keep.some((e) => e.digest === previous.digest)) {
        keep.push(namedDescriptor(previous, undefined));
      }
      entries.splice(0, entries.length, ...keep);
    });
  }

  async tag(image: ImageRecord, target: string): Promise<string> {
    const name = formatReference(parseReference(target));
    if (parseReference(target).digest) throw new InvalidInputError('cannot tag with a digest reference');
    await this.setRef(image.manifestDescriptor, name);
    return name;
  }

  /** Removes one name; the image stays (dangling) if it has no other. Returns false when absent. */
  async untag(name: string): Promise<boolean> {
    const full = formatReference(parseReference(name));
    return this.refs.update((entries) => {
      const i = entries.findIndex((e) => refName(e) === full);
      if (i < 0) return false;
      const [gone] = entries.splice(i, 1);
      if (!entries.some((e) => e.digest === gone!.digest)) entries.push(namedDescriptor(gone!, undefined));
      return true;
    });
  }

  /** Drops every entry of a manifest, named or not. Its blobs go at the next garbage collection. */
  async forget(manifestDigest: Digest): Promise<void> {
    if (!isDigest(manifestDigest)) throw new InvalidInputError(`not a digest: ${manifestDigest}`);
    await this.refs.update((entries) => {
      entries.splice(0, entries.length, ...entries.filter((e) => e.digest !== manifestDigest));
    });
  }
}
