/**
 * Volume snapshots against restic and borg on the same directory: full snapshot, incrementals after
 * a new 1% mutation each (one round per --runs), restore, and the bytes each keeps and adds. Every timed run starts from the same state
 * (the pristine dataset copied back, the previous run's repository or snapshots removed: untimed),
 * so the medians compare like with like.
 */
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext, Suite } from '../context.js';
import { mutate } from '../dataset.js';
import { changeRounds, figureOf, measure, median } from '../measure.js';
import { sizeRow, timeRow, type Row } from '../report.js';

function sh(script: string, env: Record<string, string> = {}): void {
  const r = spawnSync('sh', ['-c', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
}

function du(path: string): number {
  return Number(spawnSync('du', ['-sb', path], { encoding: 'utf8' }).stdout.split('\t')[0]);
}

/** What the store keeps for snapshots: blob files (trees, records) and packs (chunks). */
function storeBytes(root: string): number {
  return du(join(root, 'blobs')) + du(join(root, 'packs'));
}

export const volumes: Suite = {
  name: 'volumes',
  needs: ['restic', 'borg'],
  async run(ctx: BenchContext): Promise<Row[]> {
    const root = join(ctx.work, 'vol-store');
    const restic = join(ctx.work, 'vol-restic');
    const borg = join(ctx.work, 'vol-borg');
    const data = join(root, 'volumes', 'benchvol', '_data');
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_NO_PROGRESS: '1', RESTIC_PASSWORD: 'x', RESTIC_REPOSITORY: restic, BORG_REPO: borg, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
    const lb = ctx.lifeboat.join(' ');
    const pristine = async () => {
      await rm(root, { recursive: true, force: true });
      sh(`${lb} volume create benchvol >/dev/null && rm -rf ${data} && cp -a ${ctx.data} ${data}`, env);
    };
    const freshPeers = async () => {
      await rm(restic, { recursive: true, force: true });
      await rm(borg, { recursive: true, force: true });
      sh('restic init -q && borg init -e none', env);
    };
    const lbSnap = { argv: [...ctx.lifeboat, 'volume', 'snapshot', 'benchvol'], env };
    const resticBackup = { argv: ['sh', '-c', `cd ${data} && restic backup -q .`], env };
    const borgCreate = (n: string) => ({ argv: ['sh', '-c', `cd ${data} && borg create ::${n} .`], env });
    const rows: Row[] = [];

    ctx.log('volumes: full snapshot');
    const full = async (cmd: { argv: string[]; env: Record<string, string> }) => measure({ ...cmd, before: async () => { await pristine(); await freshPeers(); } }, ctx.runs);
    const lbFull = await full(lbSnap);
    const rFull = await full(resticBackup);
    const bFull = await full(borgCreate('full'));
    rows.push(timeRow('volume full snapshot', lbFull, rFull, 'restic backup'), timeRow('volume full snapshot', lbFull, bFull, 'borg create'));

    ctx.log('volumes: stored bytes');
    await pristine();
    await freshPeers();
    sh(`${lb} volume snapshot benchvol >/dev/null && cd ${data} && restic backup -q . && borg create ::full .`, env);
    const lbStored = storeBytes(root);
    rows.push(sizeRow('stored bytes after full', lbStored, du(restic), 'restic'), sizeRow('stored bytes after full', lbStored, du(borg), 'borg'));

    // A new 1% change per round, one incremental per tool each, medians over the rounds (changeRounds).
    const rounds = ctx.runs;
    ctx.log(`volumes: incremental after a 1% change, ${rounds} rounds`);
    const inc = await changeRounds(rounds, (i) => mutate(data, { scale: ctx.scale, seed: 42 + i }), {
      lb: { run: () => lbSnap, bytes: () => storeBytes(root) },
      restic: { run: () => resticBackup, bytes: () => du(restic) },
      borg: { run: (i) => borgCreate(`inc${i}`), bytes: () => du(borg) },
    });
    const bytesRow = (peer: 'restic' | 'borg') => ({ ...sizeRow('bytes added by the 1% change', median(inc.lb.grew), median(inc[peer].grew), peer), runs: rounds, detail: { lifeboat: inc.lb.grew, [peer]: inc[peer].grew } });
    rows.push(timeRow('volume incremental (1% changed)', figureOf(inc.lb.times), figureOf(inc.restic.times), 'restic backup'), timeRow('volume incremental (1% changed)', figureOf(inc.lb.times), figureOf(inc.borg.times), 'borg create'));
    rows.push(bytesRow('restic'), bytesRow('borg'));

    ctx.log('volumes: restore');
    const target = join(ctx.work, 'vol-restore');
    const clean = async () => {
      await rm(target, { recursive: true, force: true });
      spawnSync('sh', ['-c', `${lb} volume rm restored >/dev/null 2>&1`], { env: { ...process.env, ...env } });
    };
    const lbRestore = await measure({ argv: [...ctx.lifeboat, 'volume', 'restore', 'benchvol:latest', '--to', 'restored'], env, before: clean }, ctx.runs);
    const rRestore = await measure({ argv: ['restic', 'restore', '-q', 'latest', '--target', target], env, before: clean }, ctx.runs);
    const bRestore = await measure({ argv: ['sh', '-c', `mkdir -p ${target} && cd ${target} && borg extract ::inc${rounds - 1}`], env, before: clean }, ctx.runs);
    rows.push(timeRow('volume restore', lbRestore, rRestore, 'restic restore'), timeRow('volume restore', lbRestore, bRestore, 'borg extract'));
    await clean();
    await rm(root, { recursive: true, force: true });
    await rm(restic, { recursive: true, force: true });
    await rm(borg, { recursive: true, force: true });
    return rows;
  },
};
