/**
 * The two decompressors that layer bytes go through, written for untrusted input:
 *
 * - `strictGunzip`: Node's gunzip reads concatenated members (pigz output) and checks every CRC and
 *   ISIZE, but it silently ignores trailing zero bytes after the last member. Go's reader (which
 *   Docker and containerd use) refuses any bytes after the last member, and so do we: we count the
 *   bytes fed in and compare them with what zlib consumed.
 * - `zstdDecompress`: zstd-napi's DecompressStream pushes the whole output of one input chunk without
 *   honouring backpressure, so 16 KiB of RLE frames can become 512 MiB in memory. This one drives the
 *   low-level DCtx from an async generator: it yields one 128 KiB buffer at a time and only continues
 *   when the consumer asks, so memory stays flat for any ratio. The decoder window is libzstd's
 *   default limit (2^27 bytes); frames that need more are refused by the library.
 */
import { Duplex, Transform, pipeline, type TransformCallback } from 'node:stream';
import { createGunzip, constants as zc } from 'node:zlib';
import zstd from 'zstd-napi/binding.js';
import { InvalidInputError } from '../core/errors.js';

function corrupt(format: string, message: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError(`corrupt ${format} stream: ${message}`, {
    code: 'BAD_COMPRESSION',
    cause,
    hint: 'the layer blob is damaged or is not in the format its media type says',
  });
}

/** Gunzip that accepts concatenated members and fails on truncation, bad CRC/ISIZE or trailing bytes. */
export function strictGunzip(): Duplex {
  const gunzip = createGunzip({ chunkSize: GZIP_CHUNK });
  let fed = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      fed += chunk.length;
      cb(null, chunk);
    },
  });
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (gunzip.bytesWritten !== fed) cb(corrupt('gzip', `${fed - gunzip.bytesWritten} bytes of trailing data after the last gzip member`));
      else cb();
    },
  });
  // Map zlib's errors (Z_DATA_ERROR "incorrect data check", Z_BUF_ERROR "unexpected end of file").
  // This listener runs before pipeline's, so `check` fails with the mapped error. pipeline (not
  // .pipe) keeps an error listener on every stage for good: with .pipe, a zlib error arriving after
  // the consumer let go was re-emitted on `check` with no listener left, an uncaught exception.
  gunzip.on('error', (err: NodeJS.ErrnoException) => check.destroy(corrupt('gzip', err.message, err)));
  pipeline(counter, gunzip, check, () => undefined);
  const duplex = Duplex.from({ writable: counter, readable: check });
  // The error state is what consumers see (async iteration and finished() read `errored` at close);
  // the event itself can come after a consumer's listener was removed (the writable side already
  // finished, zlib reports trailing junk one tick later), and an 'error' nobody hears kills the process.
  duplex.on('error', () => undefined);
  duplex.on('close', () => {
    counter.destroy();
    gunzip.destroy(); // frees the zlib handle now when the consumer stops early
  });
  return duplex;
}

const ZSTD_OUT = zstd.dStreamOutSize();

/** A zstd decoder with real backpressure; fails on truncated frames and on trailing garbage. */
export function zstdDecompress(): Duplex {
  return Duplex.from(async function* (source: AsyncIterable<Buffer>) {
    const dctx = new zstd.DCtx();
    let inFrame = false;
    for await (const chunk of source) {
      let src = chunk;
      for (;;) {
        const dst = Buffer.allocUnsafe(ZSTD_OUT);
        let ret: number, produced: number, consumed: number;
        try {
          [ret, produced, consumed] = dctx.decompressStream(dst, src);
        } catch (err) {
          throw corrupt('zstd', (err as Error).message, err);
        }
        src = src.subarray(consumed);
        if (produced > 0) yield dst.subarray(0, produced);
        // Done with this input when it is used up and the decoder has nothing left to flush.
        if (src.length === 0 && (produced < dst.length || ret === 0)) {
          inFrame = ret !== 0;
          break;
        }
      }
    }
    if (inFrame) throw corrupt('zstd', 'unexpected end of data (truncated frame)');
  });
}

/** zlib's gzip with a bigger chunk size (fewer, larger writes downstream). */
export const GZIP_CHUNK = 64 * 1024;
export const GZIP_DEFAULT_LEVEL = zc.Z_DEFAULT_COMPRESSION;
