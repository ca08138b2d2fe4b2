/**
 * Reads schedule files (every *.yaml, *.yml and *.json of a schedules directory, or the files
 * named) and checks them all in one pass: syntax, the schema, the rules, and job names unique
 * across every file. Returns the jobs that are fine and every issue, sorted by file and line; the
 * caller decides what errors mean (validate exits 5, the scheduler refuses to start).
 *
 * `schema.json` and hidden files (editor temp files) in the directory are not schedules.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isErrno } from '../core/errors.js';
import type { JobSpec } from './job-spec.js';
import { checkJob } from './schedule-rules.js';
import { schemaIssues } from './schedule-schema.js';
import { ScheduleSource, sortIssues, type ScheduleIssue } from './schedule-source.js';

export const SCHEDULE_EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface LoadedSchedules {
  jobs: JobSpec[];
  issues: ScheduleIssue[];
  files: string[];
}

/** The schedule files in `dir`, sorted; [] when it does not exist. */
export async function scheduleFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
  return names
    .filter((n) => SCHEDULE_EXTENSIONS.includes(extname(n).toLowerCase()) && !n.startsWith('.') && n !== 'schema.json')
    .sort()
    .map((n) => join(dir, n));
}

/** Parses and checks one file's text; `file` is only used in positions. */
export function checkSource(file: string, text: string): { jobs: JobSpec[]; issues: ScheduleIssue[]; source: ScheduleSource } {
  const source = new ScheduleSource(file, text);
  const issues = [...source.issues];
  const jobs: JobSpec[] = [];
  if (source.issues.some((i) => i.severity === 'error')) return { jobs, issues, source };
  const schema = schemaIssues(source);
  issues.push(...schema.issues);
  const list = (source.value as { jobs?: unknown } | null)?.jobs;
  if (Array.isArray(list)) {
    list.forEach((_, i) => {
      const job = checkJob(source, i, issues); // run for its messages even when the schema objected
      if (job && !schema.badJobs.has(i)) jobs.push(job);
    });
  }
  return { jobs, issues: firstPerField(issues), source };
}

/** The schema and the rules may both object to one value: keep the first word on it. */
function firstPerField(issues: ScheduleIssue[]): ScheduleIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}:${i.column}:${i.field}:${i.severity}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Loads `files` (or every schedule file of `dir`) and checks job names across all of them. */
export async function loadSchedules(opts: { dir: string; files?: string[] }): Promise<LoadedSchedules> {
  const explicit = opts.files && opts.files.length > 0;
  const files = explicit ? opts.files! : await scheduleFiles(opts.dir);
  const issues: ScheduleIssue[] = [];
  const jobs: JobSpec[] = [];
  if (files.length === 0) {
    issues.push({ severity: 'warning', file: opts.dir, line: 0, column: 0, field: '', message: 'no schedule files (*.yaml, *.yml, *.json) here: nothing is scheduled' });
  }
  const firstSeen = new Map<string, { file: string; line: number; jobLine: number }>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      issues.push({ severity: 'error', file, line: 0, column: 0, field: '', message: `cannot read the file: ${(err as Error).message}` });
      continue;
    }
    const checked = checkSource(file, text);
    issues.push(...checked.issues);
    jobs.push(...checked.jobs);
    // Names are compared on the raw documents, so a duplicate is found even in a job with other errors.
    const list = (checked.source.value as { jobs?: unknown } | null)?.jobs;
    (Array.isArray(list) ? list : []).forEach((job, i) => {
      const name = (job as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') return;
      const at = checked.source.at(['jobs', i, 'name']);
      const first = firstSeen.get(name);
      if (first) issues.push({ severity: 'error', file, ...at, job: name, field: 'name', message: `duplicate job name: "${name}" is already defined at ${first.file}:${first.line}` });
      else firstSeen.set(name, { file, line: at.line, jobLine: checked.source.at(['jobs', i]).line });
    });
  }
  // Only the first definition of a name runs, and only when nothing else is wrong with it.
  const unique = jobs.filter((j) => firstSeen.get(j.name)?.file === j.source.file && firstSeen.get(j.name)?.jobLine === j.source.line);
  return { jobs: unique, issues: sortIssues(issues), files };
}
