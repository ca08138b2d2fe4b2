/**
 * Exact-size reads from a stream of Buffers, without copying data that passes straight through.
 * The tar reader needs "exactly 512 bytes", "the next N bytes as they come" and "everything that is
 * left"; Node streams offer none of those directly.
 */

const EMPTY = Buffer.alloc(0);

export class ByteSource {
  private buf: Buffer = EMPTY;
  private readonly it: AsyncIterator<Buffer | Uint8Array | string>;
  private ended = false;
  /** Bytes handed out so far. */
  consumed = 0;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.ended) return undefined;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    const v = r.value;
    return typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }

  /** Exactly `n` bytes, or fewer only when the stream ends first (the caller decides if that is an error). */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      const chunk = await this.next();
      if (!chunk) break;
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    }
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    this.consumed += out.length;
    return out;
  }

  /** The next `n` bytes as they arrive. Throws `onShort()` when the stream ends early. */
  async *pull(n: number, onShort: () => Error): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        const chunk = await this.next();
        if (!chunk) throw onShort();
        this.buf = chunk;
      }
      const out = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(out.length);
      this.consumed += out.length;
      left -= out.length;
      yield out;
    }
  }

  /** Skips `n` bytes; false when the stream ended first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        const chunk = await this.next();
        if (!chunk) return false;
        this.buf = chunk;
      }
      const k = Math.min(left, this.buf.length);
      this.buf = this.buf.subarray(k);
      this.consumed += k;
      left -= k;
    }
    return true;
  }

  /** Reads to the end of the stream; returns how many bytes that was. */
  async drain(): Promise<number> {
    let n = this.buf.length;
    this.buf = EMPTY;
    for (let chunk = await this.next(); chunk; chunk = await this.next()) n += chunk.length;
    this.consumed += n;
    return n;
  }
}
