/**
 * Facts about processes from /proc, the way the runtime checks that a recorded PID is still the
 * process it recorded: the PID must exist, must not be a zombie (PID 1 on this machine reaps
 * orphans lazily, so a dead daemon can linger as <defunct> and `kill -0` still succeeds), and its
 * start time (/proc/PID/stat field 22, clock ticks since boot) must match. A reused PID has a
 * different start time; a reboot changes the boot ID.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T, t, X, I, ... */
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  startTime: number;
}

/** Parses /proc/PID/stat text; comm may hold spaces and parentheses, so split at the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const num = (i: number) => Number(rest[i] ?? NaN);
  const stat: ProcStat = {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(1),
    utime: num(11),
    stime: num(12),
    startTime: num(19),
  };
  return Number.isFinite(stat.pid) && Number.isFinite(stat.startTime) ? stat : undefined;
}

export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is a live (not zombie) process that started at `startTime`. A start time of 0
 * means the process was already gone when it was recorded, so nothing matches it.
 */
export function isAlive(pid: number, startTime: number): boolean {
  if (startTime === 0) return false;
  const st = readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X' || st.state === 'x') return false;
  return st.startTime === startTime;
}

/** Start time of a PID (0 when gone), to record beside it. */
export function startTimeOf(pid: number): number {
  return readProcStat(pid)?.startTime ?? 0;
}

let cachedBootId: string | undefined;

/** Changes at every boot: recorded PIDs from another boot mean nothing. */
export function bootId(): string {
  cachedBootId ??= (() => {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      return 'unknown';
    }
  })();
  return cachedBootId;
}

/** Every PID whose parent is `ppid` (CONFIG_PROC_CHILDREN is not always there, so scan). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readProcStat(Number(name));
    if (st?.ppid === ppid) out.push(st.pid);
  }
  return out;
}

/** Waits until `pid` (with that start time) is gone; false on timeout. */
export async function waitGone(pid: number, startTime: number, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid, startTime)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return true;
}
