/**
 * Whole-container backups against restic on the same data: a running container whose volume holds
 * the dataset, backed up to a local repository and over SFTP to a loopback sshd (restic through the
 * system ssh with the same key and known_hosts): full, incremental after a 1% mutation (a new one
 * in each of --runs rounds, medians), restore, and the bytes each repository grew by. Full runs
 * start from an empty repository every time.
 */
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startSshd } from '../../test/helpers/sshd.js';
import type { BenchContext, Suite } from '../context.js';
import { mutate } from '../dataset.js';
import { changeRounds, figureOf, measure, median } from '../measure.js';
import { sizeRow, timeRow, type Row } from '../report.js';

function sh(script: string, env: Record<string, string>): string {
  const r = spawnSync('sh', ['-c', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout;
}

const du = (path: string) => Number(spawnSync('du', ['-sb', path], { encoding: 'utf8' }).stdout.split('\t')[0]);

export const backups: Suite = {
  name: 'backups',
  needs: ['restic', 'sshd', 'ssh'],
  async run(ctx: BenchContext): Promise<Row[]> {
    const cleanups: Array<() => unknown> = [];
    const sshd = await startSshd({ after: (fn) => void cleanups.push(fn) });
    try {
      const root = join(ctx.work, 'bk-store');
      await rm(root, { recursive: true, force: true });
      const env = { LIFEBOAT_ROOT: root, LIFEBOAT_NO_PROGRESS: '1', RESTIC_PASSWORD: 'x' };
      const lb = ctx.lifeboat.join(' ');
      const data = join(root, 'volumes', 'benchvol', '_data');
      sh(`${lb} image build-base >/dev/null && ${lb} volume create benchvol >/dev/null && rm -rf ${data} && cp -a ${ctx.data} ${data}`, env);
      sh(`${lb} run -d --name app -v benchvol:/data localhost/lifeboat-base sleep 100000 >/dev/null`, env);
      const ssh = ['-i', sshd.key, '--known-hosts', sshd.knownHosts];
      const sftpCmd = `ssh -i ${sshd.key} -p ${sshd.port} -o UserKnownHostsFile=${sshd.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes ${sshd.user}@${sshd.host} -s sftp`;
      const rows: Row[] = [];
      for (const transport of ['local', 'sftp'] as const) {
        const lbPath = join(ctx.work, `bk-lb-${transport}`);
        const rPath = join(ctx.work, `bk-restic-${transport}`);
        const lbUrl = transport === 'local' ? lbPath : sshd.url(lbPath);
        const rUrl = transport === 'local' ? rPath : `sftp:${sshd.user}@${sshd.host}:${rPath}`;
        const rOpts = transport === 'local' ? [] : ['-o', `sftp.command=${sftpCmd}`];
        const restic = (args: string[]) => ['restic', '-r', rUrl, ...rOpts, ...args];
        const fresh = async () => {
          await rm(lbPath, { recursive: true, force: true });
          await rm(rPath, { recursive: true, force: true });
          // The store's snapshots held in the repository just deleted go with it, as for a user
          // of one repository; left, each would be one more root the next backup's release reads.
          const held = sh(`${lb} volume snapshots -q benchvol`, env).split('\n').filter(Boolean);
          if (held.length) sh(`${lb} volume forget ${held.join(' ')} >/dev/null`, env);
          spawnSync(ctx.lifeboat[0]!, [...ctx.lifeboat.slice(1), 'repo', 'init', lbUrl, ...ssh], { env: { ...process.env, ...env } });
          spawnSync(restic(['init', '-q'])[0]!, restic(['init', '-q']).slice(1), { env: { ...process.env, ...env } });
        };
        ctx.log(`backups (${transport}): full`);
        const lbBackup = { argv: [...ctx.lifeboat, 'backup', 'app', '--to', lbUrl, ...ssh], env };
        const rBackup = { argv: ['sh', '-c', `cd ${data} && ${restic(['backup', '-q', '.']).map((a) => `'${a}'`).join(' ')}`], env };
        rows.push(timeRow(`backup full (${transport})`, await measure({ ...lbBackup, before: fresh }, ctx.runs), await measure({ ...rBackup, before: fresh }, ctx.runs), 'restic backup'));
        ctx.log(`backups (${transport}): incremental`);
        await fresh();
        sh(`${lbBackup.argv.map((a) => `'${a}'`).join(' ')} >/dev/null`, env);
        sh(`${rBackup.argv.slice(2).join(' ')} >/dev/null`, env);
        // A new 1% change per round, one incremental per tool each, medians over the rounds (changeRounds).
        const rounds = ctx.runs;
        const inc = await changeRounds(rounds, (i) => mutate(data, { scale: ctx.scale, seed: (transport === 'local' ? 42 : 142) + i }), {
          lb: { run: () => lbBackup, bytes: () => du(lbPath) },
          restic: { run: () => rBackup, bytes: () => du(rPath) },
        });
        rows.push(timeRow(`backup incremental, 1% changed (${transport})`, figureOf(inc.lb.times), figureOf(inc.restic.times), 'restic backup'));
        rows.push({ ...sizeRow(`bytes sent by the incremental (${transport})`, median(inc.lb.grew), median(inc.restic.grew), 'restic'), runs: rounds, detail: { lifeboat: inc.lb.grew, restic: inc.restic.grew } });
        ctx.log(`backups (${transport}): restore`);
        const id = sh(`${lb} backups --repo '${lbUrl}' ${ssh.join(' ')} -q | head -n1`, env).trim();
        const target = join(ctx.work, 'bk-restic-target');
        const cleanRestore = async () => {
          spawnSync('sh', ['-c', `${lb} rm -f restored >/dev/null 2>&1; ${lb} volume rm restoredvol >/dev/null 2>&1`], { env: { ...process.env, ...env } });
          await rm(target, { recursive: true, force: true });
        };
        const lbRestore = await measure({ argv: [...ctx.lifeboat, 'restore', id, '--from', lbUrl, ...ssh, '--name', 'restored', '--volume', 'benchvol=restoredvol'], env, before: cleanRestore }, ctx.runs);
        const rRestore = await measure({ argv: restic(['restore', '-q', 'latest', '--target', target]), env, before: cleanRestore }, ctx.runs);
        rows.push(timeRow(`restore (${transport})`, lbRestore, rRestore, 'restic restore'));
        await cleanRestore();
        await rm(lbPath, { recursive: true, force: true });
        await rm(rPath, { recursive: true, force: true });
      }
      spawnSync('sh', ['-c', `${lb} rm -f app >/dev/null`], { env: { ...process.env, ...env } });
      await rm(root, { recursive: true, force: true });
      return rows;
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  },
};
