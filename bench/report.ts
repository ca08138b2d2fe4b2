/**
 * Benchmark rows and their reports: JSON (an array of rows, kept under bench/results/ so runs can be
 * compared over time) and a Markdown table for the README. A ratio is Lifeboat's figure over the
 * peer's: below 1 Lifeboat is faster (or smaller), above 1 slower.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Figure } from './measure.js';

export interface Row {
  name: string;
  lifeboat: number;
  peer: number;
  peerName: string;
  ratio: number;
  unit: 's' | 'MiB' | 'MB';
  lifeboatRssMiB: number | null;
  peerRssMiB: number | null;
  runs: number;
  /** min/max of the timed runs, and anything else worth knowing about the row. */
  detail?: Record<string, unknown>;
}

export function timeRow(name: string, lb: Figure, peer: Figure, peerName: string, detail?: Record<string, unknown>): Row {
  return {
    name,
    lifeboat: round(lb.median),
    peer: round(peer.median),
    peerName,
    ratio: round(lb.median / peer.median),
    unit: 's',
    lifeboatRssMiB: lb.rssMiB,
    peerRssMiB: peer.rssMiB,
    runs: lb.runs,
    detail: { lifeboatMin: round(lb.min), lifeboatMax: round(lb.max), peerMin: round(peer.min), peerMax: round(peer.max), ...detail },
  };
}

export function sizeRow(name: string, lbBytes: number, peerBytes: number, peerName: string): Row {
  const mb = (b: number) => round(b / 1e6);
  return { name, lifeboat: mb(lbBytes), peer: mb(peerBytes), peerName, ratio: round(lbBytes / peerBytes), unit: 'MB', lifeboatRssMiB: null, peerRssMiB: null, runs: 1 };
}

export function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export interface RunInfo {
  date: string;
  machine: string;
  scale: number;
  runs: number;
  cache: string;
}

/** A table cell: a pipe in a name ("tar | zstd") would end the cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|');
const rss = (mib: number | null) => (mib === null ? '–' : `${mib} MiB`);

export function markdown(rows: Row[], info: RunInfo): string {
  const lines = [
    `Measured ${info.date} on ${info.machine}; scale ${info.scale} (1 = ~500 MB), median of ${info.runs} runs after a warm-up, ${info.cache}.`,
    '',
    '| row | Lifeboat | peer | peer figure | ratio | Lifeboat RSS | peer RSS |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${cell(r.name)} | ${r.lifeboat} ${r.unit} | ${cell(r.peerName)} | ${r.peer} ${r.unit} | ${r.ratio} | ${rss(r.lifeboatRssMiB)} | ${rss(r.peerRssMiB)} |`),
  ];
  return lines.join('\n') + '\n';
}

export async function writeReports(dir: string, rows: Row[], info: RunInfo): Promise<{ json: string; md: string }> {
  await mkdir(dir, { recursive: true });
  const stamp = info.date.replace(/[:.]/g, '-');
  const json = join(dir, `${stamp}-scale${info.scale}.json`);
  const md = join(dir, `${stamp}-scale${info.scale}.md`);
  await writeFile(json, JSON.stringify(rows, null, 2) + '\n');
  await writeFile(md, markdown(rows, info));
  await writeFile(join(dir, 'latest.md'), markdown(rows, info));
  return { json, md };
}

/** One row measured at two scales: how its cost and memory grew against the data. */
export interface GrowthRow {
  name: string;
  peerName: string;
  unit: Row['unit'];
  small: number;
  large: number;
  /** large / small, beside `dataFactor`: linear growth gives the same number, better gives less. */
  factor: number;
  dataFactor: number;
  /**
   * What each tool added per scale-1 of extra data ((large − small) / (scale difference)): the
   * fixed cost of a run (start-up, connecting, locks) cancels out, so a `factor` far below
   * `dataFactor` that is only a big fixed cost does not pass for good scaling.
   */
  marginal: { lifeboat: number; peer: number; ratio: number | null };
  lifeboatRssMiB: [number | null, number | null];
  peerRssMiB: [number | null, number | null];
}

export function growthRows(small: { scale: number; rows: Row[] }, large: { scale: number; rows: Row[] }): GrowthRow[] {
  const key = (r: Row) => `${r.name}\u0000${r.peerName}`;
  const bySmall = new Map(small.rows.map((r) => [key(r), r]));
  const span = large.scale - small.scale;
  return large.rows.flatMap((l) => {
    const s = bySmall.get(key(l));
    if (!s || s.lifeboat === 0) return [];
    const lb = (l.lifeboat - s.lifeboat) / span;
    const peer = (l.peer - s.peer) / span;
    return [
      {
        name: l.name,
        peerName: l.peerName,
        unit: l.unit,
        small: s.lifeboat,
        large: l.lifeboat,
        factor: round(l.lifeboat / s.lifeboat),
        dataFactor: round(large.scale / small.scale),
        marginal: { lifeboat: round(lb), peer: round(peer), ratio: peer > 0 ? round(lb / peer) : null },
        lifeboatRssMiB: [s.lifeboatRssMiB, l.lifeboatRssMiB] as [number | null, number | null],
        peerRssMiB: [s.peerRssMiB, l.peerRssMiB] as [number | null, number | null],
      },
    ];
  });
}

export function growthMarkdown(rows: GrowthRow[], scales: [number, number]): string {
  return [
    `Growth from scale ${scales[0]} to ${scales[1]} (data ×${round(scales[1] / scales[0])}). "Per scale 1" is what each tool added for each`,
    `scale-1 of extra data, (large − small) / ${round(scales[1] - scales[0])}: fixed costs cancel out, so it compares the work that grows with the data.`,
    '',
    '| row | peer | Lifeboat small → large | grew | per scale 1: Lifeboat / peer | ratio | Lifeboat RSS | peer RSS |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${cell(r.name)} | ${cell(r.peerName)} | ${r.small} → ${r.large} ${r.unit} | ×${r.factor} | ${r.marginal.lifeboat} / ${r.marginal.peer} ${r.unit} | ${r.marginal.ratio ?? '–'} | ${rss(r.lifeboatRssMiB[0])} → ${rss(r.lifeboatRssMiB[1])} | ${rss(r.peerRssMiB[0])} → ${rss(r.peerRssMiB[1])} |`,
    ),
  ].join('\n') + '\n';
}

export async function writeGrowth(dir: string, rows: GrowthRow[], info: RunInfo, scales: [number, number]): Promise<string> {
  const stamp = info.date.replace(/[:.]/g, '-');
  const file = join(dir, `${stamp}-growth-${scales[0]}-${scales[1]}.json`);
  await writeFile(file, JSON.stringify(rows, null, 2) + '\n');
  return file;
}
