/**
 * The checks every loaded image passes before anything is committed, whatever archive format it
 * came in: the config parses, the OS is Linux, there is one layer per DiffID, every layer is in the
 * archive, decompresses cleanly, is compressed the way its media type says, and hashes to its DiffID.
 */
import type { Digest } from '../core/digest.js';
import { DigestMismatchError, IntegrityError, InvalidInputError } from '../core/errors.js';
import { layerCompression } from '../core/media-types.js';
import { hostPlatform, type ImageConfig } from '../core/oci.js';
import type { Progress } from '../core/progress.js';
import type { StagedMember } from './archive-members.js';

export interface PlannedImage {
  /** The manifest: staged bytes (OCI archives keep theirs) or bytes built for a docker-archive. */
  manifest: { digest: Digest; size: number; mediaType: string; bytes?: Buffer };
  config: ImageConfig;
  /** The image ID. */
  configDigest: Digest;
  names: string[];
  /** Every blob the image needs (manifest, config, layers). */
  blobs: Digest[];
}

export function checkPlatform(config: ImageConfig, what: string, progress: Progress): void {
  const host = hostPlatform();
  if (config.os !== 'linux') throw new InvalidInputError(`${what} is for ${config.os}; Lifeboat runs Linux images only`, { code: 'PLATFORM' });
  if (config.architecture !== host.architecture) progress.warn(`${what} is for ${config.architecture}, this host is ${host.architecture}: it will not run here`);
}

/**
 * Checks one layer against its DiffID. `mediaType` is the declared type (OCI archives); undefined for
 * docker-archives, where the bytes decide.
 */
export function checkLayer(member: StagedMember, diffId: Digest, mediaType: string | undefined, what: string): void {
  if (member.decompressError) throw new IntegrityError(`${what} is corrupt: ${member.decompressError}`, { code: 'BAD_COMPRESSION' });
  if (mediaType !== undefined) {
    const declared = layerCompression(mediaType);
    if (declared === undefined) throw new InvalidInputError(`${what} has media type ${mediaType}, which is not a layer type Lifeboat can apply`, { code: 'MEDIA_TYPE' });
    if (declared !== member.compression) {
      throw new InvalidInputError(`${what} is declared ${declared === 'none' ? 'uncompressed' : declared} (${mediaType}) but its bytes are ${member.compression === 'none' ? 'not compressed' : member.compression}`, { code: 'MEDIA_TYPE' });
    }
  }
  if (member.uncompressed !== diffId) throw new DigestMismatchError(diffId, member.uncompressed ?? 'unknown', `${what} DiffID`);
}

export function checkLayerCount(config: ImageConfig, layers: number, what: string): void {
  if (config.rootfs.diff_ids.length !== layers) {
    throw new InvalidInputError(`${what} lists ${layers} layers but its config has ${config.rootfs.diff_ids.length} DiffIDs`, { code: 'COUNT_MISMATCH' });
  }
}
