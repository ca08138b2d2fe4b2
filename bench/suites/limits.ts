/**
 * The machine's limits on the same data, and Lifeboat's share of them: hashing (sha256sum vs
 * `system check`, which re-hashes every blob), packing (tar | zstd -3 vs `save --compress zstd`, both
 * at zstd's default level 3 and with as many zstd threads as save uses, so the row measures mostly
 * the software around the compressor; save cuts 2 MiB jobs, the zstd CLI its own default size),
 * copying (cp -a vs `export`, which applies the layer and writes a tar).
 */
import { join } from 'node:path';
import { ZSTD_WORKERS } from '../../src/diff/compression.js';
import { rm } from 'node:fs/promises';
import type { BenchContext, Suite } from '../context.js';
import { measure } from '../measure.js';
import { timeRow, type Row } from '../report.js';
import { importDataset } from './shared.js';

export const limits: Suite = {
  name: 'limits',
  needs: ['tar', 'zstd', 'sha256sum', 'cp'],
  async run(ctx: BenchContext): Promise<Row[]> {
    const root = join(ctx.work, 'limits-store');
    await importDataset(ctx, root, 'bench/data:1');
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_NO_PROGRESS: '1' };
    const sh = (script: string) => ({ argv: ['sh', '-c', script] });
    const rows: Row[] = [];
    ctx.log('limits: hashing');
    rows.push(timeRow('hash all data (system check vs sha256sum)', await measure({ argv: [...ctx.lifeboat, 'system', 'check'], env }, ctx.runs), await measure(sh(`find ${ctx.data} -type f -print0 | xargs -0 sha256sum > /dev/null`), ctx.runs), 'sha256sum'));
    ctx.log('limits: packing');
    rows.push(timeRow('pack (save --compress zstd vs tar | zstd -3)', await measure({ argv: ['sh', '-c', `${ctx.lifeboat.join(' ')} save bench/data:1 --compress zstd > /dev/null`], env }, ctx.runs), await measure(sh(`tar -C ${ctx.data} -c . | zstd -3 -T${ZSTD_WORKERS} -q -c > /dev/null`), ctx.runs), 'tar|zstd -3'));
    ctx.log('limits: copying');
    const copy = join(ctx.work, 'limits-copy');
    rows.push(
      timeRow(
        'copy (export vs cp -a)',
        await measure({ argv: ['sh', '-c', `${ctx.lifeboat.join(' ')} export bench/data:1 > /dev/null`], env }, ctx.runs),
        await measure({ ...sh(`cp -a ${ctx.data} ${copy}`), before: () => rm(copy, { recursive: true, force: true }) }, ctx.runs),
        'cp -a',
      ),
    );
    await rm(copy, { recursive: true, force: true });
    return rows;
  },
};
