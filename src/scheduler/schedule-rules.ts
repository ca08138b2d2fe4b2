/**
 * What a schema cannot say about a job, checked field by field with positions, and the job turned
 * into a JobSpec when nothing is wrong: the cron line and time zone (node-cron's own parser),
 * durations, retention that would keep nothing, a job that is both a backup and a drill (or
 * neither), containers with nowhere to go, repository URLs, webhook URLs, volume and label names,
 * and `images`, which is refused with the reason (a container backup carries its image).
 * Relative paths (a local repository, an SSH key) are relative to the file.
 *
 * Runs after the schema check on whatever it can read, so one pass reports every mistake; fields
 * of the wrong type were reported by the schema and are skipped here.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseCalendarDuration, type RetentionPolicy } from '../core/retention.js';
import { parseDuration } from '../core/units.js';
import { parseRepositoryUrl } from '../repository/backends/location.js';
import { validateVolumeName } from '../volumes/volume-store.js';
import { cronProblems } from './cron-clock.js';
import { DEFAULT_TIMEOUT_MS, type BackupTask, type Consistency, type ContainerSelection, type DrillTask, type JobSpec, type LabelMatch, type NotifySpec, type RepositoryTarget } from './job-spec.js';
import { pathText, type Position, type ScheduleIssue, type ScheduleSource, type Severity } from './schedule-source.js';

type Obj = Record<string, unknown>;
type Path = Array<string | number>;

const BACKUP_FIELDS = ['containers', 'selector', 'volumes', 'images', 'repository', 'consistency', 'hooks', 'retention', 'verify', 'verifyTime'];
const COUNTS: Array<[string, keyof RetentionPolicy]> = [['keep-last', 'last'], ['keep-hourly', 'hourly'], ['keep-daily', 'daily'], ['keep-weekly', 'weekly'], ['keep-monthly', 'monthly'], ['keep-yearly', 'yearly']];
const WITHINS: Array<[string, keyof RetentionPolicy]> = [['keep-within', 'within'], ['keep-within-hourly', 'withinHourly'], ['keep-within-daily', 'withinDaily'], ['keep-within-weekly', 'withinWeekly'], ['keep-within-monthly', 'withinMonthly'], ['keep-within-yearly', 'withinYearly']];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/** Checks job `index` of `source`; returns its JobSpec when it holds no error. */
export function checkJob(source: ScheduleSource, index: number, issues: ScheduleIssue[]): JobSpec | undefined {
  const job = (source.value as { jobs: unknown[] }).jobs[index];
  if (!isObj(job)) return undefined;
  const base: Path = ['jobs', index];
  const name = typeof job.name === 'string' ? job.name : undefined;
  const before = issues.filter((i) => i.severity === 'error').length;
  const report = (severity: Severity, path: Path, message: string, key = false) =>
    issues.push({ severity, file: source.file, ...source.at([...base, ...path], key), ...(name ? { job: name } : {}), field: name ? pathText(path) || `jobs[${index}]` : pathText([...base, ...path]), message });
  const err = (path: Path, message: string, key = false) => report('error', path, message, key);
  const dir = dirname(resolve(source.file));

  const timezone = typeof job.timezone === 'string' ? job.timezone : undefined;
  if (typeof job.cron === 'string') {
    for (const p of cronProblems(job.cron)) err(['cron'], `invalid cron line "${job.cron}": ${p}`);
  }
  if (timezone !== undefined) for (const p of cronProblems('* * * * *', timezone)) err(['timezone'], p);
  const timeoutMs = duration(job.timeout, ['timeout'], err) ?? DEFAULT_TIMEOUT_MS;
  if (job.timeout !== undefined && timeoutMs < 1000) err(['timeout'], 'must be at least 1s');

  const notify = isObj(job.notify) ? checkNotify(job.notify, err) : undefined;
  let task: BackupTask | DrillTask | undefined;
  if (job.drill !== undefined) {
    for (const f of BACKUP_FIELDS) if (f in job) err([f], `a drill job restores and starts backups; "${f}" belongs to a backup job`, true);
    if (isObj(job.drill)) task = checkDrill(job.drill, dir, err);
  } else {
    task = checkBackup(job, dir, report);
  }
  if (issues.filter((i) => i.severity === 'error').length > before || !task || !name || typeof job.cron !== 'string') return undefined;
  return {
    name,
    cron: job.cron,
    ...(timezone !== undefined ? { timezone } : {}),
    task,
    ...(notify ? { notify } : {}),
    timeoutMs,
    catchUp: job.catchUp === true,
    ...(typeof job.description === 'string' ? { description: job.description } : {}),
    source: { file: source.file, line: source.at(base).line, fields: fieldPositions(source, base) },
  };
}

function fieldPositions(source: ScheduleSource, base: Path): Record<string, Position> {
  const out: Record<string, Position> = {};
  for (const k of source.keysAt(base)) out[k] = source.at([...base, k], true);
  for (const k of source.keysAt([...base, 'drill'])) out[`drill.${k}`] = source.at([...base, 'drill', k], true);
  return out;
}

type Report = (severity: Severity, path: Path, message: string, key?: boolean) => void;
type Err = (path: Path, message: string, key?: boolean) => void;

function checkBackup(job: Obj, dir: string, report: Report): BackupTask | undefined {
  const err: Err = (p, m, k) => report('error', p, m, k);
  const containers = selection(job.containers, job.selector, [], err);
  const volumes = strings(job.volumes);
  volumes.forEach((v, i) => attempt(() => validateVolumeName(v), ['volumes', i], err));
  if ('images' in job) {
    err(['images'], 'images are not backed up on their own: each container backup carries its image, and a repository holds container backups (for an image archive use `lifeboat save`)', true);
  }
  if (containers.names.length + containers.labels.length + volumes.length === 0 && !('images' in job)) {
    err([], 'nothing to do: give containers, a selector or volumes to back up (or drill: for a restore drill)');
  }
  const repository = job.repository !== undefined ? repositoryTarget(job.repository, ['repository'], dir, err) : undefined;
  const needsRepo = containers.names.length + containers.labels.length > 0;
  if (needsRepo && job.repository === undefined) err([], 'containers are backed up to a repository: add repository: (a path or sftp:// URL)');
  const consistency = checkConsistency(job, err);
  const retention = isObj(job.retention) ? checkRetention(job.retention, err) : undefined;
  const verify = job.verify === true;
  if (verify && !needsRepo) report('warning', ['verify'], 'verify boot-checks container backups, and this job backs up none', true);
  const verifyTimeMs = duration(job.verifyTime, ['verifyTime'], err);
  return {
    kind: 'backup',
    containers,
    volumes,
    ...(repository ? { repository } : {}),
    consistency,
    ...(retention ? { retention } : {}),
    verify,
    ...(verifyTimeMs !== undefined ? { verifyTimeMs } : {}),
  };
}

function checkDrill(drill: Obj, dir: string, err: Err): DrillTask | undefined {
  const containers = selection(drill.containers, drill.selector, ['drill'], err);
  if (containers.names.length + containers.labels.length === 0) {
    err(['drill'], 'a drill needs containers (names) or a selector: whose latest backups to restore');
  }
  const repository = drill.repository !== undefined ? repositoryTarget(drill.repository, ['drill', 'repository'], dir, err) : undefined;
  const verifyTimeMs = duration(drill.verifyTime, ['drill', 'verifyTime'], err);
  return repository ? { kind: 'drill', containers, repository, ...(verifyTimeMs !== undefined ? { verifyTimeMs } : {}) } : undefined;
}

function selection(names: unknown, selector: unknown, at: Path, err: Err): ContainerSelection {
  const labels: LabelMatch[] = [];
  const list = isObj(selector) ? strings(selector.label) : [];
  list.forEach((text, i) => {
    const eq = text.indexOf('=');
    const key = (eq < 0 ? text : text.slice(0, eq)).trim();
    const path = [...at, 'selector', 'label', ...(Array.isArray((selector as Obj).label) ? [i] : [])];
    if (!key || /\s/.test(key)) err(path, `"${text}" is not a label selector: use key=value or key`);
    else labels.push(eq < 0 ? { key } : { key, value: text.slice(eq + 1) });
  });
  return { names: strings(names), labels };
}

function repositoryTarget(value: unknown, at: Path, dir: string, err: Err): RepositoryTarget | undefined {
  const o: Obj = isObj(value) ? value : { url: value };
  if (typeof o.url !== 'string') return undefined;
  const urlPath = isObj(value) ? [...at, 'url'] : at;
  let url = o.url;
  try {
    const loc = parseRepositoryUrl(url);
    if (loc.kind === 'local' && !isAbsolute(url) && !url.startsWith('file:')) url = resolve(dir, url);
  } catch (e) {
    err(urlPath, (e as Error).message);
    return undefined;
  }
  const file = (v: unknown) => (typeof v === 'string' ? resolve(dir, v) : undefined);
  const identity = file(o.identity);
  const knownHosts = file(o.knownHosts);
  return { url, ...(identity ? { identity } : {}), ...(knownHosts ? { knownHosts } : {}), ...(o.acceptNewHostKey === true ? { acceptNewHostKey: true } : {}) };
}

function checkConsistency(job: Obj, err: Err): Consistency {
  const c = job.consistency;
  const mode = typeof c === 'string' ? c : isObj(c) && typeof c.mode === 'string' ? c.mode : 'pause';
  const nested = isObj(c) && isObj(c.hooks) ? c.hooks : undefined;
  const top = isObj(job.hooks) ? job.hooks : undefined;
  if (nested && top) err(['hooks'], 'hooks are given twice: here and under consistency', true);
  const hooks = nested ?? top ?? {};
  return {
    mode: mode === 'stop' || mode === 'none' ? mode : 'pause',
    ...(typeof hooks.before === 'string' ? { before: hooks.before } : {}),
    ...(typeof hooks.after === 'string' ? { after: hooks.after } : {}),
  };
}

function checkRetention(r: Obj, err: Err): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const [key, field] of COUNTS) if (typeof r[key] === 'number') (policy[field] as number) = r[key];
  for (const [key, field] of WITHINS) {
    if (typeof r[key] !== 'string') continue;
    try {
      const d = parseCalendarDuration(r[key]);
      if (d.years + d.months + d.days + d.hours === 0) err(['retention', key], 'a zero duration keeps nothing');
      else (policy[field] as typeof d) = d;
    } catch (e) {
      err(['retention', key], (e as Error).message);
    }
  }
  const effective = COUNTS.some(([, f]) => (policy[f] ?? 0) !== 0) || WITHINS.some(([, f]) => policy[f] !== undefined);
  if (!effective && COUNTS.some(([k]) => r[k] === 0) && WITHINS.every(([k]) => r[k] === undefined)) {
    err(['retention'], 'every rule is 0: this policy would forget every backup, even the newest (leave retention out to keep everything)');
  }
  return policy;
}

function checkNotify(n: Obj, err: Err): NotifySpec {
  const hooks = strings(n.webhook);
  hooks.forEach((url, i) => {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) err(['notify', 'webhook', ...(Array.isArray(n.webhook) ? [i] : [])], `"${url}" is not an http(s) URL`);
  });
  const on = n.on === 'success' || n.on === 'always' ? n.on : 'failure';
  return { webhooks: hooks, on };
}

function duration(v: unknown, path: Path, err: Err): number | undefined {
  if (typeof v === 'number') return v > 0 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  try {
    return parseDuration(v);
  } catch (e) {
    err(path, (e as Error).message);
    return undefined;
  }
}

function attempt(fn: () => unknown, path: Path, err: Err): void {
  try {
    fn();
  } catch (e) {
    err(path, (e as Error).message);
  }
}
