/**
 * Human units the way Docker prints them (go-units): decimal sizes ("4.26MB", "196.8MB") and
 * durations ("3 seconds", "About a minute", "2 hours"), plus the parsers for sizes and durations
 * users type ("512m", "10s", "2h").
 */
import { UsageError } from './errors.js';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** 4 significant digits, decimal units: 0B, 999B, 1.23kB, 196.8MB (Docker's HumanSize). */
export function humanSize(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < DECIMAL.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${DECIMAL[i]}`;
}

/** Binary units for memory and rates: 12.5MiB. */
export function humanBytesBinary(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)}${units[i]}`;
}

/** go-units HumanDuration: "Less than a second", "3 seconds", "About a minute", "5 minutes", "About an hour", "3 hours", "2 days", ... */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(ms / 60000);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(ms / 3600000);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}

/** "2 minutes ago", as in `docker images` CREATED. */
export function ago(date: Date | string | number | undefined, now = Date.now()): string {
  if (date === undefined) return 'N/A';
  const t = new Date(date).getTime();
  if (!Number.isFinite(t) || t <= 0) return 'N/A';
  return `${humanDuration(Math.max(0, now - t))} ago`;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

/** "512", "64k", "1.5g" → bytes (binary multiples, as docker run --memory). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`invalid size "${text}" (examples: 512, 64k, 100m, 2g)`);
  return Math.round(Number(m[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Go-style durations: "10s", "1m30s", "2h", "500ms", "7d" (days and weeks added for retention). A bare number is seconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (end !== t.length || t.length === 0) throw new UsageError(`invalid duration "${text}" (examples: 10s, 1m30s, 2h, 7d)`);
  return total;
}
