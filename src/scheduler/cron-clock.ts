/**
 * Next-run math for a cron line in a time zone, from ANY instant: what `schedule ls` shows as NEXT
 * RUN, what start-up counts as missed while the scheduler was down, and a job's period (for
 * /healthz). node-cron fires the jobs; it can only say "next after now", so this walks the calendar
 * itself, and asks node-cron's own matcher (`match`) to confirm every candidate: the two can never
 * disagree about whether an instant is a run.
 *
 * The walk: local days in the zone; a day is kept when node-cron matches the day-only line
 * `0 0 12 <day-of-month> <month> <day-of-week>` at that day's local noon (noon always exists, DST
 * moves happen at night), so L, 15W, 1#2, 5L and names need no second implementation here. On a
 * kept day the (hour, minute, second) combinations go in order, each turned into an instant with the
 * zone's offset and confirmed by `match` (a wall time skipped by a DST jump never matches).
 */
import { createTask, parse, validateDetailed, type ScheduledTask } from 'node-cron';

/** How far ahead a walk looks before it says "never" (Feb 29 on a Monday happens every 28 years). */
const MAX_DAYS = 366 * 30;

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Why a cron line or zone is unusable, one message per field. */
export function cronProblems(expression: string, timezone?: string): string[] {
  const out: string[] = [];
  const v = validateDetailed(expression);
  if (!v.valid) for (const e of v.errors) out.push(e.field === 'expression' ? e.message : `${e.field}: ${e.message}`);
  if (timezone !== undefined && !isTimeZone(timezone)) out.push(`unknown time zone "${timezone}" (use an IANA name such as Europe/Berlin or UTC)`);
  return out;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** Wall-clock fields of `t` in `zone`. */
function wallClock(t: number, zone: string): number[] {
  const p = Object.fromEntries(formatter(zone).formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
  return [p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!];
}

const offsets = new Map<string, number>();

/** The zone's offset from UTC at `t`, in ms (zones change offset on whole minutes: cached per minute). */
function offsetAt(t: number, zone: string): number {
  const minute = Math.floor(t / 60_000) * 60_000;
  const key = `${zone} ${minute}`;
  let off = offsets.get(key);
  if (off === undefined) {
    const [y, mo, d, h, mi] = wallClock(minute, zone) as [number, number, number, number, number];
    off = Date.UTC(y, mo - 1, d, h, mi) - minute;
    if (offsets.size > 50_000) offsets.clear();
    offsets.set(key, off);
  }
  return off;
}

/** The instant a wall-clock time in `zone` names (for a time in a DST gap: a nearby instant). */
function instantOf(y: number, mo: number, d: number, h: number, mi: number, s: number, zone: string): number {
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const first = asUtc - offsetAt(asUtc, zone);
  return asUtc - offsetAt(first, zone);
}

export class CronClock {
  private readonly full: ScheduledTask;
  private readonly dayOnly: ScheduledTask;
  private readonly seconds: number[];
  private readonly minutes: number[];
  private readonly hours: number[];
  readonly zone: string;

  /** Throws an Error with the reasons when the line or the zone is invalid (check cronProblems first). */
  constructor(readonly expression: string, timezone?: string) {
    const problems = cronProblems(expression, timezone);
    if (problems.length) throw new Error(`invalid cron line "${expression}": ${problems.join('; ')}`);
    this.zone = timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    const fields = parse(NICKNAMES[expression.trim().toLowerCase()] ?? expression);
    const noop = () => undefined;
    this.full = createTask(expression, noop, { timezone: this.zone });
    this.dayOnly = createTask(`0 0 12 ${fields.dayOfMonth.join(',')} ${fields.month.join(',')} ${fields.dayOfWeek.join(',')}`, noop, { timezone: this.zone });
    const asc = (a: number[]) => [...new Set(a)].sort((x, y) => x - y);
    this.seconds = asc(fields.second);
    this.minutes = asc(fields.minute);
    this.hours = asc(fields.hour);
  }

  /** Whether `t` (to the second) is a run time. */
  matches(t: Date | number): boolean {
    return this.full.match(new Date(Math.floor(new Date(t).getTime() / 1000) * 1000));
  }

  /** The first run time strictly after `after`; undefined when there is none within 30 years. */
  next(after: Date | number): Date | undefined {
    const base = Math.floor(new Date(after).getTime() / 1000) * 1000;
    let [y, mo, d] = wallClock(base, this.zone) as [number, number, number];
    for (let i = 0; i < MAX_DAYS; i++) {
      const hit = this.dayMatches({ year: y, month: mo, day: d }) ? this.firstOnDay(y, mo, d, base) : undefined;
      if (hit !== undefined) return new Date(hit);
      const tomorrow = new Date(Date.UTC(y, mo - 1, d + 1));
      [y, mo, d] = [tomorrow.getUTCFullYear(), tomorrow.getUTCMonth() + 1, tomorrow.getUTCDate()];
    }
    return undefined;
  }

  /** Run times in (from, to], at most `limit` of them (and whether there were more). */
  between(from: Date | number, to: Date | number, limit = 1000): { times: Date[]; more: boolean } {
    const end = new Date(to).getTime();
    const times: Date[] = [];
    for (let t = this.next(from); t && t.getTime() <= end; t = this.next(t)) {
      if (times.length === limit) return { times, more: true };
      times.push(t);
    }
    return { times, more: false };
  }

  /**
   * The longest gap between consecutive runs over the next `runs` runs from `from`: the period a
   * job is expected to succeed within (a weekday-only job's is 3 days, over the weekend).
   */
  period(from: Date | number = Date.now(), runs = 10): number | undefined {
    let prev = this.next(from);
    let longest: number | undefined;
    for (let i = 0; prev && i < runs; i++) {
      const n = this.next(prev);
      if (!n) break;
      longest = Math.max(longest ?? 0, n.getTime() - prev.getTime());
      prev = n;
    }
    return longest;
  }

  private dayMatches(p: LocalParts): boolean {
    return this.dayOnly.match(new Date(instantOf(p.year, p.month, p.day, 12, 0, 0, this.zone)));
  }

  private firstOnDay(y: number, mo: number, d: number, after: number): number | undefined {
    for (const h of this.hours) {
      // Skip whole hours, then whole minutes, that end before `after`.
      if (instantOf(y, mo, d, h, 59, 59, this.zone) <= after) continue;
      for (const mi of this.minutes) {
        const minuteEnd = instantOf(y, mo, d, h, mi, 59, this.zone);
        if (minuteEnd <= after) continue;
        for (const s of this.seconds) {
          const t = instantOf(y, mo, d, h, mi, s, this.zone);
          if (t > after && this.full.match(new Date(t))) return t;
        }
      }
    }
    return undefined;
  }
}
