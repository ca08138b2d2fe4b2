/**
 * `npm run bench -- [--scale 0.1[,1]] [--runs 3] [--only limits,images]`: generates the dataset,
 * runs every suite whose tools are installed, prints a table and writes JSON and Markdown under
 * bench/results/. With two scales it runs everything at both and adds how each row grew. Figures
 * are reported, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { BenchContext, Suite } from './context.js';
import { generate } from './dataset.js';
import { growthMarkdown, growthRows, markdown, writeGrowth, writeReports, type Row } from './report.js';
import { SUITES } from './suites/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const program = new Command('bench')
  .option('--scale <n[,m]>', 'dataset size multiplier (1 = ~500 MB); two, small and large, add a growth table', '0.2')
  .option('--runs <n>', 'timed runs per figure (after one warm-up)', '3')
  .option('--only <suites>', 'comma-separated suite names')
  .option('--work <dir>', 'scratch directory', '/tmp/lifeboat-bench')
  .option('--out <dir>', 'results directory', join(here, '..', '..', 'bench', 'results'))
  .parse();
const opts = program.opts<{ scale: string; runs: string; only?: string; work: string; out: string }>();

/**
 * bin/lifeboat as users run it (its node flags, its environment handling), written to the scratch
 * directory with its import pointed at this build (the bench may run from a copy of dist/) and its
 * `exec node` at the node running the bench, not whichever is first on PATH.
 */
async function launcher(): Promise<string> {
  const text = readFileSync(join(here, '..', '..', 'bin', 'lifeboat'), 'utf8');
  const entry = "require('../dist/src/cli/lifeboat.cjs');";
  if (!text.includes(entry)) throw new Error(`bin/lifeboat: no line ${entry}`);
  const dir = join(opts.work, 'launcher');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), readFileSync(join(here, '..', '..', 'bin', 'package.json'))); // the launcher is CommonJS, as in bin/
  const file = join(dir, 'lifeboat');
  if (!text.includes('exec node ')) throw new Error('bin/lifeboat: no `exec node `');
  const node = `'${process.execPath.replaceAll("'", `'\\''`)}'`; // quoted for sh
  const copy = text.replace(entry, () => `require(${JSON.stringify(join(here, '..', 'src', 'cli', 'lifeboat.cjs'))});`).replaceAll('exec node ', () => `exec ${node} `);
  await writeFile(file, copy, { mode: 0o755 });
  return file;
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!has('/usr/bin/time')) throw new Error('bench needs GNU time (/usr/bin/time, Debian package "time") for peak RSS');
if (!/^[1-9]\d*$/.test(opts.runs)) throw new Error(`--runs takes a positive whole number, not ${opts.runs}`);
const scales = opts.scale.split(',').map(Number);
if (scales.length > 2 || scales.some((s) => !(s > 0)) || (scales.length === 2 && !(scales[1]! > scales[0]!))) throw new Error(`--scale takes one or two positive numbers (small,large; large bigger), not ${opts.scale}`);
const lifeboat = await launcher(); // after the checks: nothing is written for a bad command line
const wanted = opts.only?.split(',');
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux`;
const date = new Date().toISOString();
const measured: Array<{ scale: number; rows: Row[] }> = [];
let report = '';
for (const scale of scales) {
  const work = join(opts.work, `scale-${scale}`);
  await mkdir(work, { recursive: true });
  const ctx: BenchContext = {
    scale,
    runs: Number(opts.runs),
    data: join(work, 'data'),
    work,
    lifeboat: [lifeboat],
    log: (m) => process.stderr.write(`[scale ${scale}] ${m}\n`),
  };
  ctx.log(`generating dataset in ${ctx.data}`);
  const info = await generate(ctx.data, { scale });
  ctx.log(`${info.files} files, ${(info.bytes / 1e6).toFixed(1)} MB`);
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
  const runInfo = { date, machine, scale, runs: ctx.runs, cache: 'warm page cache (data just written)' };
  const files = await writeReports(opts.out, rows, runInfo);
  report += markdown(rows, runInfo) + '\n';
  ctx.log(`wrote ${files.json} and ${files.md}`);
  measured.push({ scale, rows });
  await rm(join(work, 'images-store'), { recursive: true, force: true });
}
if (measured.length === 2) {
  const pair: [number, number] = [measured[0]!.scale, measured[1]!.scale];
  const growth = growthRows(measured[0]!, measured[1]!);
  const info = { date, machine, scale: pair[1], runs: Number(opts.runs), cache: 'warm page cache (data just written)' };
  const file = await writeGrowth(opts.out, growth, info, pair);
  report += growthMarkdown(growth, pair);
  await writeFile(join(opts.out, 'latest.md'), report);
  process.stderr.write(`wrote ${file}\n`);
}
process.stdout.write(report);
