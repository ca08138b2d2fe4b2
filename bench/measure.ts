/**
 * Timing and memory of one command: wall time from spawn to exit, and peak RSS from GNU time's
 * `%M` (the largest resident set of the process and the descendants it waited for). A figure is the
 * median of several runs after a warm-up, with min and max, so one noisy run does not decide.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sample {
  seconds: number;
  rssMiB: number;
}

export interface Figure {
  median: number;
  min: number;
  max: number;
  rssMiB: number;
  runs: number;
}

export interface Command {
  argv: string[];
  env?: Record<string, string>;
  /** Runs before every timed run (not timed): cleanup of the previous run's output. */
  before?: () => Promise<void>;
}

export async function runOnce(cmd: Command): Promise<Sample> {
  const out = join(tmpdir(), `lb-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  // Untimed: what the previous run (or the setup) left dirty is written back now, so no tool pays
  // for another's writes when it syncs its own (syncfs, or fsync on a busy journal).
  spawnSync('sync');
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', out, ...cmd.argv], { env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`${cmd.argv.join(' ')} exited ${c}: ${err}`))));
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const kib = Number((await readFile(out, 'utf8')).trim().split('\n').pop());
  await rm(out, { force: true });
  return { seconds, rssMiB: Math.round((kib / 1024) * 10) / 10 };
}

export async function measure(cmd: Command, runs: number, warmup = 1): Promise<Figure> {
  for (let i = 0; i < warmup; i++) {
    await cmd.before?.();
    await runOnce(cmd);
  }
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    await cmd.before?.();
    samples.push(await runOnce(cmd));
  }
  return figureOf(samples);
}

/**
 * Incrementals on fresh changes: `rounds` times, `change(round)` makes a new change (other files,
 * another region of the big file) and each tool runs once, in the order given; beside each time,
 * what that tool's store grew by. Repeating one incremental would time a no-change run, and one
 * change tells little about the bytes it costs (that depends on where it falls against each
 * tool's chunk boundaries), so callers take medians over the rounds.
 */
export async function changeRounds<K extends string>(
  rounds: number,
  change: (round: number) => Promise<unknown>,
  tools: Record<K, { run: (round: number) => Command; bytes: () => number }>,
): Promise<Record<K, { times: Sample[]; grew: number[] }>> {
  const names = Object.keys(tools) as K[];
  const out = Object.fromEntries(names.map((k) => [k, { times: [], grew: [] }])) as unknown as Record<K, { times: Sample[]; grew: number[] }>;
  for (let i = 0; i < rounds; i++) {
    await change(i);
    for (const k of names) {
      const before = tools[k].bytes();
      out[k].times.push(await runOnce(tools[k].run(i)));
      out[k].grew.push(tools[k].bytes() - before);
    }
  }
  return out;
}

/** The figure of some timed runs. */
export function figureOf(samples: readonly Sample[]): Figure {
  return figure(samples.map((s) => s.seconds), Math.max(...samples.map((s) => s.rssMiB)));
}

/** The median of some figures (sizes, seconds). */
export function median(values: number[]): number {
  return figure(values, 0).median;
}

/** Median, min and max of some timed runs, with the peak RSS seen. */
export function figure(seconds: number[], rssMiB: number): Figure {
  const v = [...seconds].sort((a, b) => a - b);
  return { median: v[Math.floor(v.length / 2)]!, min: v[0]!, max: v[v.length - 1]!, rssMiB, runs: v.length };
}
