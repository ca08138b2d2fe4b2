/**
 * The JSON Schema of schedule files is `schedules/schema.json` at the top of the package: the same
 * file editors use and the docs link to, read from there at run time so the shipped schema is the
 * one enforced. ajv checks with every error collected; each error becomes an issue at the line of
 * the value (or of the unknown key) it is about, in words: "unknown field "retension" (did you mean
 * retention?)", "must be one of failure, success, always".
 *
 * The schema's own `errorMessage` keyword (an annotation ajv is told about) replaces ajv's words
 * for a value with several accepted shapes, instead of one message per shape it failed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { shippedPath } from '../platform/install-paths.js';
import { jobFieldText, pathText, suggest, type ScheduleIssue, type ScheduleSource } from './schedule-source.js';

/** schedules/schema.json of this package (from dist/src/, dist-x/src/ and the bundle alike). */
export function schemaPath(): string {
  return shippedPath(join('schedules', 'schema.json'), 'the package is incomplete');
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
    compiled = ajv.compile(JSON.parse(readFileSync(schemaPath(), 'utf8')) as object);
  }
  return compiled;
}

interface Schemaish {
  errorMessage?: string;
  properties?: Record<string, unknown>;
}

function pathOf(instancePath: string): Array<string | number> {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `must be ${String(p.type).replace(',', ' or ')}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'minItems':
      return Number(p.limit) === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} items`;
    case 'uniqueItems':
      return `lists the same name twice (items ${String(p.j)} and ${String(p.i)})`;
    case 'minLength':
      return 'must not be empty';
    case 'minProperties':
      return 'must have at least one rule (an empty policy would keep everything)';
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

/** Issues for every way the source breaks the schema, and the indexes of the jobs they are in. */
export function schemaIssues(source: ScheduleSource): { issues: ScheduleIssue[]; badJobs: Set<number> } {
  const validate = validator();
  const badJobs = new Set<number>();
  if (validate(source.value)) return { issues: [], badJobs };
  const errors = validate.errors ?? [];
  // A value with several accepted shapes: one message of its own instead of one per failed shape.
  const summarized = errors.filter((e) => e.keyword === 'anyOf' && (e.parentSchema as Schemaish | undefined)?.errorMessage);
  const inside = (e: ErrorObject) =>
    summarized.some((s) => s !== e && e.schemaPath.startsWith(`${s.schemaPath}/`) && (e.instancePath === s.instancePath || e.instancePath.startsWith(`${s.instancePath}/`)));
  const out: ScheduleIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (inside(e)) continue;
    let path = pathOf(e.instancePath);
    let key = false;
    let message = (e.parentSchema as Schemaish | undefined)?.errorMessage ?? describe(e);
    if (e.keyword === 'additionalProperties') {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((e.parentSchema as Schemaish).properties ?? {});
      const guess = suggest(name, known);
      path = [...path, name];
      key = true;
      message = `unknown field "${name}"${guess ? ` (did you mean ${guess}?)` : ''}`;
    } else if (e.keyword === 'required') {
      message = `missing field "${String((e.params as { missingProperty: string }).missingProperty)}"`;
    }
    const jobIndex = path[0] === 'jobs' && typeof path[1] === 'number' ? path[1] : undefined;
    if (jobIndex !== undefined) badJobs.add(jobIndex);
    const name = jobIndex === undefined ? undefined : jobName(source.value, jobIndex);
    const field = jobIndex === undefined || name === undefined ? pathText(path) : jobFieldText(path) || `jobs[${jobIndex}]`;
    const dedupe = `${field}\0${message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    out.push({ severity: 'error', file: source.file, ...source.at(path, key), ...(name !== undefined ? { job: name } : {}), field, message });
  }
  return { issues: out, badJobs };
}

/** The name of job `i`, when it has a usable one. */
export function jobName(doc: unknown, i: number): string | undefined {
  const jobs = (doc as { jobs?: unknown } | null)?.jobs;
  const job = Array.isArray(jobs) ? (jobs[i] as { name?: unknown } | undefined) : undefined;
  return typeof job?.name === 'string' && job.name !== '' ? job.name : undefined;
}
