/**
 * Content digests (`algorithm:encoded`). Only sha256 can be computed and verified; other
 * registered algorithms are valid syntax we refuse to trust. A digest that passes `parseDigest`
 * is safe to use as a path component. Computing one is sha256.ts's: node:crypto costs a process
 * ~3.5 ms to load, and most commands only parse digests.
 */
import { InvalidInputError } from './errors.js';

declare const digestBrand: unique symbol;
/** A validated `sha256:<64 lowercase hex>` string. */
export type Digest = string & { readonly [digestBrand]: true };

const SYNTAX = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && SHA256.test(s);
}

/** Validates a digest string from untrusted input. Throws for bad syntax or an algorithm we cannot verify. */
export function parseDigest(s: unknown, what = 'digest'): Digest {
  if (typeof s !== 'string' || !SYNTAX.test(s)) {
    throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(s)}`, { code: 'INVALID_DIGEST' });
  }
  if (!SHA256.test(s)) {
    const alg = s.slice(0, s.indexOf(':'));
    throw new InvalidInputError(
      alg === 'sha256' ? `invalid ${what}: sha256 needs exactly 64 lowercase hex characters` : `unsupported digest algorithm "${alg}" in ${what}`,
      { code: 'INVALID_DIGEST' },
    );
  }
  return s as Digest;
}

export function hexOf(d: Digest): string {
  return d.slice(7);
}

export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex}`);
}

/** The 12-character short ID that Docker shows (IMAGE ID, CONTAINER ID). */
export function shortId(d: string): string {
  const i = d.indexOf(':');
  return d.slice(i + 1, i + 13);
}

/** Treats an already-computed hex sha256 as a digest (no re-validation: callers computed it). */
export function digestOfHex(hex: string): Digest {
  return `sha256:${hex}` as Digest;
}
