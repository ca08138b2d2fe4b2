/**
 * Verified reads: a pass-through stream that hashes what flows through it, refuses to pass more
 * than the expected size, and fails at the end when the digest or size is wrong. Consumers that
 * commit what they read (unpack, import, copy) must only commit after this stream ended cleanly.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { digestOfHex, type Digest } from '../core/digest.js';
import { DigestMismatchError, SizeMismatchError } from '../core/errors.js';

export interface Expectation {
  digest: Digest;
  size?: number;
}

export class VerifyingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly expected: Expectation, private readonly onMismatch?: () => Promise<void>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.byteLength;
    if (this.expected.size !== undefined && this.bytes > this.expected.size) {
      cb(new SizeMismatchError(this.expected.size, this.bytes, `blob ${this.expected.digest}`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.expected.size !== undefined && this.bytes !== this.expected.size) {
      cb(new SizeMismatchError(this.expected.size, this.bytes, `blob ${this.expected.digest}`));
      return;
    }
    const actual = digestOfHex(this.hash.digest('hex'));
    if (actual !== this.expected.digest) {
      const err = new DigestMismatchError(this.expected.digest, actual, 'blob');
      if (this.onMismatch) this.onMismatch().then(() => cb(err), () => cb(err));
      else cb(err);
      return;
    }
    cb();
  }
}
