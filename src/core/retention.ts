/**
 * Retention policy: which snapshots a `forget` keeps, and why. Pure; restic's semantics
 * (internal/restic/snapshot_policy.go, doc/060_forget.rst) so its users meet no surprises:
 *
 * - Snapshots are taken newest first. Each `--keep-<period> N` walks that list with a bucket key
 *   per snapshot (the snapshot itself for `last`; year+month+day+hour, year+month+day, ISO
 *   year+week, year+month, year). A snapshot whose key differs from the last key kept by that rule
 *   is kept (the newest of each period) until the rule has kept N. -1 means unlimited.
 * - When a counted rule still has room at the oldest snapshot, that one is kept too ("oldest
 *   daily snapshot"), so a short history is not cut shorter than the policy allows.
 * - `within` keeps everything newer than the newest snapshot minus the duration (calendar
 *   arithmetic: years, months, days, hours); `within<Period>` keeps the newest of each period in
 *   that window. Snapshots dated in the future are ignored when finding the newest.
 * - `tags`: a snapshot carrying every tag of any one list is kept; an empty tag matches untagged.
 * - Rules are ORed; each kept snapshot lists every rule that kept it. An empty policy keeps all.
 */
import { UsageError } from './errors.js';

export interface RetentionItem {
  /** Creation time, ms since the epoch. */
  time: number;
  tags: readonly string[];
}

/** Years, months, days and hours, as restic's "1y2m3d4h". */
export interface CalendarDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: CalendarDuration;
  withinHourly?: CalendarDuration;
  withinDaily?: CalendarDuration;
  withinWeekly?: CalendarDuration;
  withinMonthly?: CalendarDuration;
  withinYearly?: CalendarDuration;
  /** Keep snapshots that carry all tags of at least one of these lists. */
  tags?: string[][];
}

export interface RetentionOptions {
  /** Calendar periods in this zone (default: the machine's local time, as restic). */
  timeZone?: 'local' | 'utc';
  /** "Now", for ignoring snapshots from the future (default Date.now()). */
  now?: number;
}

export interface Decision<T> {
  item: T;
  keep: boolean;
  /** Why it is kept ("daily snapshot", "within 7d", "has tags [db]"); empty when it goes. */
  reasons: string[];
}

const COUNTED = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
const WITHIN = ['withinHourly', 'withinDaily', 'withinWeekly', 'withinMonthly', 'withinYearly'] as const;
type Period = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

export function isEmptyPolicy(p: RetentionPolicy): boolean {
  return COUNTED.every((k) => !p[k]) && !p.within && WITHIN.every((k) => !p[k]) && (p.tags ?? []).length === 0;
}

/** "1y2m3d4h" (any subset, in this order) → a calendar duration. */
export function parseCalendarDuration(text: string): CalendarDuration {
  const m = /^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?$/.exec(text.trim());
  if (!m || text.trim() === '') throw new UsageError(`invalid duration "${text}": use years, months, days and hours, e.g. 1y6m, 7d, 2d12h`);
  return { years: Number(m[1] ?? 0), months: Number(m[2] ?? 0), days: Number(m[3] ?? 0), hours: Number(m[4] ?? 0) };
}

export function formatCalendarDuration(d: CalendarDuration): string {
  const s = `${d.years ? `${d.years}y` : ''}${d.months ? `${d.months}m` : ''}${d.days ? `${d.days}d` : ''}${d.hours ? `${d.hours}h` : ''}`;
  return s || '0h';
}

interface Fields {
  y: number;
  mo: number;
  d: number;
  h: number;
}

function fields(t: number, zone: 'local' | 'utc'): Fields {
  const x = new Date(t);
  return zone === 'utc'
    ? { y: x.getUTCFullYear(), mo: x.getUTCMonth() + 1, d: x.getUTCDate(), h: x.getUTCHours() }
    : { y: x.getFullYear(), mo: x.getMonth() + 1, d: x.getDate(), h: x.getHours() };
}

/** ISO 8601 year and week of a calendar date (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(y: number, mo: number, d: number): { year: number; week: number } {
  const date = new Date(Date.UTC(y, mo - 1, d));
  const dow = (date.getUTCDay() + 6) % 7; // Monday = 0
  date.setUTCDate(date.getUTCDate() - dow + 3); // the Thursday of this week decides the year
  const year = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  return { year, week: 1 + Math.round((date.getTime() - firstThursday.getTime()) / (7 * 86_400_000)) };
}

function bucketKey(period: Period, f: Fields): number {
  switch (period) {
    case 'hourly':
      return f.y * 1_000_000 + f.mo * 10_000 + f.d * 100 + f.h;
    case 'daily':
      return f.y * 10_000 + f.mo * 100 + f.d;
    case 'weekly': {
      const w = isoWeek(f.y, f.mo, f.d);
      return w.year * 100 + w.week;
    }
    case 'monthly':
      return f.y * 100 + f.mo;
    case 'yearly':
      return f.y;
  }
}

/** `t` minus a calendar duration, with Go's AddDate normalization (Mar 31 - 1m = Mar 3). */
export function subtractCalendar(t: number, d: CalendarDuration, zone: 'local' | 'utc'): number {
  const x = new Date(t);
  if (zone === 'utc') x.setUTCFullYear(x.getUTCFullYear() - d.years, x.getUTCMonth() - d.months, x.getUTCDate() - d.days);
  else x.setFullYear(x.getFullYear() - d.years, x.getMonth() - d.months, x.getDate() - d.days);
  return x.getTime() - d.hours * 3_600_000;
}

function hasTags(item: RetentionItem, list: string[]): boolean {
  for (const tag of list) {
    if (tag === '' && item.tags.length === 0) return true;
    if (!item.tags.includes(tag)) return false;
  }
  return true;
}

/**
 * Applies `policy` to `items`. Returns one decision per item, newest first (ties keep input order).
 */
export function applyRetention<T extends RetentionItem>(items: readonly T[], policy: RetentionPolicy, opts: RetentionOptions = {}): Array<Decision<T>> {
  const zone = opts.timeZone ?? 'local';
  const now = opts.now ?? Date.now();
  const list = items.map((item, i) => ({ item, i })).sort((a, b) => b.item.time - a.item.time || a.i - b.i).map((x) => x.item);
  if (isEmptyPolicy(policy)) return list.map((item) => ({ item, keep: true, reasons: ['policy is empty'] }));
  if (list.length === 0) return [];

  const counted = COUNTED.map((name) => ({ name, count: policy[name] ?? 0, last: Number.NaN }));
  const within = WITHIN.map((name) => ({ name, duration: policy[name], last: Number.NaN }));
  const latest = list.reduce((acc, s) => (s.time > acc && s.time < now ? s.time : acc), Number.NEGATIVE_INFINITY);
  const cutoff = (d: CalendarDuration) => subtractCalendar(latest, d, zone);

  return list.map((item, nr) => {
    const reasons: string[] = [];
    const f = fields(item.time, zone);
    for (const tags of policy.tags ?? []) if (hasTags(item, tags)) reasons.push(`has tags [${tags.join(', ')}]`);
    if (policy.within && item.time > cutoff(policy.within)) reasons.push(`within ${formatCalendarDuration(policy.within)}`);
    for (const b of counted) {
      if (b.count === 0 || b.count < -1) continue;
      const key = b.name === 'last' ? nr : bucketKey(b.name, f);
      const oldest = nr === list.length - 1;
      if (key === b.last && !oldest) continue;
      reasons.push(`${key === b.last ? 'oldest ' : ''}${b.name === 'last' ? 'last' : b.name} snapshot`);
      b.last = key;
      if (b.count > 0) b.count--;
    }
    for (const b of within) {
      if (!b.duration || item.time <= cutoff(b.duration)) continue;
      const period = b.name.slice('within'.length).toLowerCase() as Period;
      const key = bucketKey(period, f);
      if (key === b.last) continue;
      b.last = key;
      reasons.push(`${period} within ${formatCalendarDuration(b.duration)}`);
    }
    return { item, keep: reasons.length > 0, reasons };
  });
}
