/** Setup shared by suites: the dataset as an image in a store (and as a rootfs tar for peers). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';

/** Imports the dataset as a one-layer image into `root` (untimed setup). */
export async function importDataset(ctx: BenchContext, root: string, name: string): Promise<void> {
  const r = spawnSync('sh', ['-c', `tar -C ${ctx.data} -c . | ${ctx.lifeboat.join(' ')} import - ${name}`], { env: { ...process.env, LIFEBOAT_ROOT: root, LIFEBOAT_NO_PROGRESS: '1' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
}

/** The dataset as a rootfs tar on disk (for docker import and friends). */
export function datasetTar(ctx: BenchContext): string {
  const file = join(ctx.work, 'dataset.tar');
  const r = spawnSync('sh', ['-c', `[ -f ${file} ] || tar -C ${ctx.data} -cf ${file} .`]);
  if (r.status !== 0) throw new Error('tar of the dataset failed');
  return file;
}
