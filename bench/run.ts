/**
 * `npm run bench -- [--scale 0.1] [--runs 3] [--only limits,images]`: generates the dataset, runs
 * every suite whose tools are installed, prints a table and writes JSON and Markdown under
 * bench/results/. Figures are reported, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { BenchContext, Suite } from './context.js';
import { generate } from './dataset.js';
import { markdown, writeReports, type Row } from './report.js';
import { SUITES } from './suites/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const program = new Command('bench')
  .option('--scale <n>', 'dataset size multiplier (1 = ~500 MB)', '0.2')
  .option('--runs <n>', 'timed runs per figure (after one warm-up)', '3')
  .option('--only <suites>', 'comma-separated suite names')
  .option('--work <dir>', 'scratch directory', '/tmp/lifeboat-bench')
  .option('--out <dir>', 'results directory', join(here, '..', '..', 'bench', 'results'))
  .parse();
const opts = program.opts<{ scale: string; runs: string; only?: string; work: string; out: string }>();

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const scale = Number(opts.scale);
const work = join(opts.work, `scale-${scale}`);
await mkdir(work, { recursive: true });
const ctx: BenchContext = {
  scale,
  runs: Number(opts.runs),
  data: join(work, 'data'),
  work,
  lifeboat: [process.execPath, join(here, '..', 'src', 'cli', 'bin.js')],
  log: (m) => process.stderr.write(`${m}\n`),
};
if (!has('/usr/bin/time')) throw new Error('bench needs GNU time (/usr/bin/time, Debian package "time") for peak RSS');
ctx.log(`generating dataset (scale ${scale}) in ${ctx.data}`);
const info = await generate(ctx.data, { scale });
ctx.log(`${info.files} files, ${(info.bytes / 1e6).toFixed(1)} MB`);
const wanted = opts.only?.split(',');
const rows: Row[] = [];
for (const suite of SUITES as Suite[]) {
  if (wanted && !wanted.includes(suite.name)) continue;
  const missing = suite.needs.filter((c) => !has(c));
  if (missing.length) {
    ctx.log(`skipping ${suite.name}: needs ${missing.join(', ')}`);
    continue;
  }
  rows.push(...(await suite.run(ctx)));
}
const runInfo = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux`, scale, runs: ctx.runs, cache: 'warm page cache (data just written)' };
const files = await writeReports(opts.out, rows, runInfo);
process.stdout.write(markdown(rows, runInfo));
ctx.log(`wrote ${files.json} and ${files.md}`);
await rm(join(work, 'images-store'), { recursive: true, force: true });
