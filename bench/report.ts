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
  unit: Row['unit'];
  small: number;
  large: number;
  /** large / small, beside `dataFactor`: linear growth gives the same number, better gives less. */
  factor: number;
  dataFactor: number;
  lifeboatRssMiB: [number | null, number | null];
}

export function growthRows(small: { scale: number; rows: Row[] }, large: { scale: number; rows: Row[] }): GrowthRow[] {
  const byName = new Map(small.rows.map((r) => [r.name, r]));
  const seen = new Set<string>();
  return large.rows.flatMap((l) => {
    const s = byName.get(l.name);
    // a row measured against two peers (restic and borg) has one Lifeboat figure: show it once
    if (!s || s.lifeboat === 0 || seen.has(l.name)) return [];
    seen.add(l.name);
    return [{ name: l.name, unit: l.unit, small: s.lifeboat, large: l.lifeboat, factor: round(l.lifeboat / s.lifeboat), dataFactor: round(large.scale / small.scale), lifeboatRssMiB: [s.lifeboatRssMiB, l.lifeboatRssMiB] as [number | null, number | null] }];
  });
}

export function growthMarkdown(rows: GrowthRow[], scales: [number, number]): string {
  return [
    `Growth from scale ${scales[0]} to ${scales[1]} (data ×${round(scales[1] / scales[0])}): Lifeboat's figure and peak RSS at each.`,
    '',
    '| row | small | large | grew | Lifeboat RSS small → large |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${cell(r.name)} | ${r.small} ${r.unit} | ${r.large} ${r.unit} | ×${r.factor} | ${rss(r.lifeboatRssMiB[0])} → ${rss(r.lifeboatRssMiB[1])} |`),
  ].join('\n') + '\n';
}

export async function writeGrowth(dir: string, rows: GrowthRow[], info: RunInfo, scales: [number, number]): Promise<string> {
  const stamp = info.date.replace(/[:.]/g, '-');
  const file = join(dir, `${stamp}-growth-${scales[0]}-${scales[1]}.json`);
  await writeFile(file, JSON.stringify(rows, null, 2) + '\n');
  return file;
}
