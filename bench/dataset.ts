/**
 * The benchmark data, generated deterministically from a seed so every run (and every machine)
 * measures the same bytes: one incompressible file (200 MB), compressible text (50 MB), and 20,000
 * small files of 1–16 KB in nested folders; `scale` multiplies all of it. `mutate` changes ~1%:
 * a few hundred small files edited, added and removed, and a region of the big file rewritten.
 */
import { mkdir, open, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** xorshift128+: fast, seedable, good enough for test data. */
export class Rng {
  private a: bigint;
  private b: bigint;
  constructor(seed: number) {
    this.a = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
    this.b = (BigInt(seed) ^ 0xdeadbeefcafebaben) | 1n;
    for (let i = 0; i < 8; i++) this.next();
  }
  next(): bigint {
    const M = (1n << 64n) - 1n;
    let x = this.a;
    const y = this.b;
    this.a = y;
    x ^= (x << 23n) & M;
    this.b = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (this.b + y) & M;
  }
  int(n: number): number {
    return Number(this.next() % BigInt(n));
  }
  /** Incompressible bytes: a keystream expanded with a fast xorshift32 per 64 KiB block. */
  fill(buf: Buffer): void {
    let s = Number(this.next() & 0xffffffffn) | 1;
    for (let i = 0; i + 4 <= buf.length; i += 4) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      buf.writeInt32LE(s | 0, i);
    }
  }
}

const WORDS = 'lifeboat container volume snapshot layer image repository backup restore migrate verify schedule chunk digest manifest config overlay namespace supervisor retention prune index pack blob tree record the a of and to in is for with on by that this from'.split(' ');

export interface DatasetSpec {
  scale: number;
  seed?: number;
}

export interface DatasetInfo {
  dir: string;
  files: number;
  bytes: number;
}

function textChunk(rng: Rng, bytes: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const line = Array.from({ length: 8 + rng.int(8) }, () => WORDS[rng.int(WORDS.length)]).join(' ') + '\n';
    parts.push(line);
    n += line.length;
  }
  return parts.join('').slice(0, bytes);
}

export async function generate(dir: string, spec: DatasetSpec): Promise<DatasetInfo> {
  const rng = new Rng(spec.seed ?? 42);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'text'), { recursive: true });
  let bytes = 0;
  let files = 0;
  const big = Math.round(200e6 * spec.scale);
  const fh = await open(join(dir, 'big.bin'), 'w');
  const block = Buffer.alloc(1 << 20);
  for (let written = 0; written < big; written += block.length) {
    rng.fill(block);
    await fh.write(block, 0, Math.min(block.length, big - written));
  }
  await fh.close();
  bytes += big;
  files++;
  const textTotal = Math.round(50e6 * spec.scale);
  for (let i = 0, left = textTotal; left > 0; i++) {
    const size = Math.min(left, 5e6);
    await writeFile(join(dir, 'text', `doc-${i}.txt`), textChunk(rng, size));
    left -= size;
    bytes += size;
    files++;
  }
  const small = Math.round(20_000 * spec.scale);
  for (let i = 0; i < small; i++) {
    const sub = join(dir, 'small', `d${i % 40}`, `e${(i >> 3) % 25}`);
    if (i < 1000) await mkdir(sub, { recursive: true });
    const size = 1024 + rng.int(15 * 1024);
    const buf = Buffer.alloc(size);
    if (i % 2) rng.fill(buf);
    else buf.write(textChunk(rng, size));
    await writeFile(join(sub, `f${i}.dat`), buf);
    bytes += size;
    files++;
  }
  return { dir, files, bytes };
}

/**
 * Changes about 1% of the data: small files edited, added, removed; a region of big.bin rewritten.
 * The seed picks the files and where in big.bin the region lies, so changes of different seeds
 * fall differently against each tool's chunk boundaries.
 */
export async function mutate(dir: string, spec: DatasetSpec): Promise<{ changedBytes: number }> {
  const rng = new Rng((spec.seed ?? 42) + 1);
  let changed = 0;
  const small = Math.round(20_000 * spec.scale);
  const touch = Math.max(3, Math.round(small * 0.01));
  for (let k = 0; k < touch; k++) {
    const i = rng.int(small);
    const path = join(dir, 'small', `d${i % 40}`, `e${(i >> 3) % 25}`, `f${i}.dat`);
    const action = k % 3;
    if (action === 0) {
      const buf = Buffer.alloc(2048);
      rng.fill(buf);
      await writeFile(path, buf, { flag: 'a' });
      changed += 2048;
    } else if (action === 1) {
      await rm(path, { force: true });
    } else {
      const buf = Buffer.alloc(4096);
      rng.fill(buf);
      await writeFile(path.replace(/\.dat$/, '-new.dat'), buf);
      changed += 4096;
    }
  }
  const big = Math.round(200e6 * spec.scale);
  const region = Math.round(big * 0.01);
  const fh = await open(join(dir, 'big.bin'), 'r+');
  const buf = Buffer.alloc(region);
  rng.fill(buf);
  await fh.write(buf, 0, region, rng.int(big - region));
  await fh.close();
  changed += region;
  return { changedBytes: changed };
}

/** Counts files and bytes under dir (for reports). */
export async function measureTree(dir: string): Promise<{ files: number }> {
  let files = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) files++;
  return { files };
}
