/**
 * Containers against Docker on the same tiny base image: `run --rm IMAGE true`, `run -d` + `stop`,
 * and `commit` of a container whose writable layer holds the whole dataset (copied in from a
 * read-only bind mount, the same way in both). dockerd is private to the suite and stopped after.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDockerd } from '../../test/helpers/dockerd.js';
import type { BenchContext, Suite } from '../context.js';
import { measure } from '../measure.js';
import { timeRow, type Row } from '../report.js';

export const containers: Suite = {
  name: 'containers',
  needs: ['dockerd', 'docker', 'busybox'],
  async run(ctx: BenchContext): Promise<Row[]> {
    const root = join(ctx.work, 'containers-store');
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_NO_PROGRESS: '1' };
    const lb = (args: string[]) => spawnSync(ctx.lifeboat[0]!, [...ctx.lifeboat.slice(1), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
    spawnSync('rm', ['-rf', root]);
    if (lb(['image', 'build-base']).status !== 0) throw new Error('build-base failed');
    const baseTar = join(ctx.work, 'base.tar');
    spawnSync('sh', ['-c', `${ctx.lifeboat.join(' ')} export localhost/lifeboat-base > ${baseTar}`], { env: { ...process.env, ...env } });
    const dockerd = await startDockerd();
    try {
      if (dockerd.docker(['import', '-c', 'CMD ["sh"]', baseTar, 'lbbase:1']).status !== 0) throw new Error('docker import failed');
      const denv = { DOCKER_HOST: dockerd.host };
      const rows: Row[] = [];
      ctx.log('containers: run --rm true');
      const runs = Math.max(ctx.runs, 5);
      rows.push(timeRow('run --rm IMAGE true', await measure({ argv: [...ctx.lifeboat, 'run', '--rm', 'localhost/lifeboat-base', 'true'], env }, runs), await measure({ argv: ['docker', 'run', '--rm', '--network', 'none', 'lbbase:1', 'true'], env: denv }, runs), 'docker run --rm'));
      ctx.log('containers: run -d + stop');
      const lbCycle = `id=$(${ctx.lifeboat.join(' ')} run -d localhost/lifeboat-base sleep 60) && ${ctx.lifeboat.join(' ')} stop -t 1 $id >/dev/null && ${ctx.lifeboat.join(' ')} rm $id >/dev/null`;
      const dCycle = 'id=$(docker run -d --network none lbbase:1 sleep 60) && docker stop -t 1 $id >/dev/null && docker rm $id >/dev/null';
      rows.push(timeRow('run -d + stop + rm', await measure({ argv: ['sh', '-c', lbCycle], env }, runs), await measure({ argv: ['sh', '-c', dCycle], env: denv }, runs), 'docker'));
      ctx.log('containers: commit (writable layer = dataset)');
      const fill = 'cp -a /src/. /payload/';
      if (lb(['run', '--name', 'filled', '-v', `${ctx.data}:/src:ro`, 'localhost/lifeboat-base', 'sh', '-c', `mkdir /payload && ${fill}`]).status !== 0) throw new Error('filling the lifeboat container failed');
      if (dockerd.docker(['run', '--name', 'filled', '--network', 'none', '-v', `${ctx.data}:/src:ro`, 'lbbase:1', 'sh', '-c', `mkdir /payload && ${fill}`]).status !== 0) throw new Error('filling the docker container failed');
      rows.push(
        timeRow(
          'commit (writable layer = dataset)',
          await measure({ argv: [...ctx.lifeboat, 'commit', 'filled', 'bench/committed:1'], env, before: async () => void lb(['rmi', 'bench/committed:1']) }, ctx.runs),
          await measure({ argv: ['docker', 'commit', 'filled', 'bench/committed:1'], env: denv, before: async () => void dockerd.docker(['rmi', 'bench/committed:1']) }, ctx.runs),
          'docker commit',
        ),
      );
      lb(['rm', '-f', 'filled']);
      return rows;
    } finally {
      await dockerd.stop();
      spawnSync('rm', ['-rf', root]);
    }
  },
};
