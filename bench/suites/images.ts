/**
 * save and load against Docker's, on the dataset as a one-layer image in both stores. dockerd is
 * started privately by the suite (its own data-root and socket) and stopped afterwards. Docker's
 * peak RSS is the CLI's only: the daemon does the work and its memory cannot be isolated per call.
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { startDockerd } from '../../test/helpers/dockerd.js';
import type { BenchContext, Suite } from '../context.js';
import { measure } from '../measure.js';
import { timeRow, type Row } from '../report.js';
import { datasetTar, importDataset } from './shared.js';

export const images: Suite = {
  name: 'images',
  needs: ['dockerd', 'docker'],
  async run(ctx: BenchContext): Promise<Row[]> {
    const root = join(ctx.work, 'images-store');
    await importDataset(ctx, root, 'bench/data:1');
    const tar = datasetTar(ctx);
    const dockerd = await startDockerd();
    try {
      if (dockerd.docker(['import', tar, 'bench/data:1']).status !== 0) throw new Error('docker import failed');
      const env = { LIFEBOAT_ROOT: root, LIFEBOAT_NO_PROGRESS: '1' };
      const denv = { DOCKER_HOST: dockerd.host };
      const lbOut = join(ctx.work, 'lb-save.tar');
      const dOut = join(ctx.work, 'docker-save.tar');
      ctx.log('images: save');
      const rows: Row[] = [];
      const lbSave = await measure({ argv: [...ctx.lifeboat, 'save', 'bench/data:1', '-o', lbOut], env, before: () => rm(lbOut, { force: true }) }, ctx.runs);
      const dSave = await measure({ argv: ['docker', 'save', '-o', dOut, 'bench/data:1'], env: denv, before: () => rm(dOut, { force: true }) }, ctx.runs);
      rows.push(timeRow('save (uncompressed)', lbSave, dSave, 'docker save'));
      ctx.log('images: load');
      const fresh = join(ctx.work, 'images-load');
      const lbLoad = await measure({ argv: [...ctx.lifeboat, 'load', '-i', lbOut], env: { ...env, LIFEBOAT_ROOT: fresh }, before: () => rm(fresh, { recursive: true, force: true }) }, ctx.runs);
      const dLoad = await measure({ argv: ['docker', 'load', '-i', dOut], env: denv, before: async () => void dockerd.docker(['rmi', '-f', 'bench/data:1']) }, ctx.runs);
      rows.push(timeRow('load (into an empty store)', lbLoad, dLoad, 'docker load', { note: 'docker peak RSS is the CLI only' }));
      return rows;
    } finally {
      await dockerd.stop();
    }
  },
};
