/**
 * What Lifeboat computes with sha256 from bytes in memory: digests and layer chain IDs. Kept apart
 * from digest.ts (parsing, formatting) and oci.ts (documents), and node:crypto is loaded at the
 * first hash: it costs a process ~3.5 ms, and the container commands that only import this module
 * on their way to others (ps, stop, rm) never hash. (ES modules load eagerly; a require made by
 * createRequire is the synchronous lazy load Node 20 offers. Any base path finds a built-in.)
 */
import { createRequire } from 'node:module';
import type * as NodeCrypto from 'node:crypto';
import type { Digest } from './digest.js';

let crypto: typeof NodeCrypto | undefined;

function sha256Hex(data: string | Uint8Array): string {
  crypto ??= createRequire('/')('node:crypto') as typeof NodeCrypto;
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${sha256Hex(data)}` as Digest;
}

/**
 * ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
 * Returns one chain ID per layer; the last names the image's whole root filesystem.
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : sha256(`${prev} ${diffId}`));
  }
  return out;
}

