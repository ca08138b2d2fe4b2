/**
 * The retention flags that `volume forget` and `forget` (backups) share, restic's names, turned
 * into a policy (core/retention.ts). -1 means "unlimited"; any other negative number or NaN is a
 * usage error naming the flag.
 */
import { UsageError } from '../../core/errors.js';
import { parseCalendarDuration, type RetentionPolicy } from '../../core/retention.js';

export interface RetentionFlags {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
  keepTag?: string[];
  utc?: boolean;
  dryRun?: boolean;
  prune?: boolean;
}

export function policyOf(opts: RetentionFlags): RetentionPolicy {
  for (const [flag, v] of Object.entries(opts)) {
    if (typeof v === 'number' && (Number.isNaN(v) || v < -1)) throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} takes a number or "unlimited"`);
  }
  return {
    ...(opts.keepLast !== undefined ? { last: opts.keepLast } : {}),
    ...(opts.keepHourly !== undefined ? { hourly: opts.keepHourly } : {}),
    ...(opts.keepDaily !== undefined ? { daily: opts.keepDaily } : {}),
    ...(opts.keepWeekly !== undefined ? { weekly: opts.keepWeekly } : {}),
    ...(opts.keepMonthly !== undefined ? { monthly: opts.keepMonthly } : {}),
    ...(opts.keepYearly !== undefined ? { yearly: opts.keepYearly } : {}),
    ...(opts.keepWithin ? { within: parseCalendarDuration(opts.keepWithin) } : {}),
    ...(opts.keepTag ? { tags: opts.keepTag.map((t) => t.split(',')) } : {}),
  };
}
