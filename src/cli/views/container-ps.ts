/**
 * Rows for `ps`: Docker's columns (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES),
 * newest first, and its filters: status, name, id, label, ancestor, exited, health.
 */
import { UsageError } from '../../core/errors.js';
import type { ContainerRecord, ContainerState } from '../../runtime/container-record.js';
import { statusText, STATUS_WORDS } from '../../runtime/status-text.js';
import { formatPort } from '../../runtime/run-flags.js';
import { ago } from '../../core/units.js';

export interface PsRow {
  rec: ContainerRecord;
  state: ContainerState;
}

export interface PsOptions {
  all?: boolean;
  filters?: string[];
  last?: number;
  noTrunc?: boolean;
}

type Test = (row: PsRow) => boolean;

function filterTest(filter: string): Test {
  const eq = filter.indexOf('=');
  if (eq < 0) throw new UsageError(`bad filter "${filter}": use key=value`);
  const key = filter.slice(0, eq);
  const value = filter.slice(eq + 1);
  switch (key) {
    case 'status':
      if (!(STATUS_WORDS as readonly string[]).includes(value)) throw new UsageError(`invalid filter 'status=${value}' (use ${STATUS_WORDS.join(', ')})`);
      return (r) => r.state.status === value;
    case 'name':
      return (r) => new RegExp(value).test(r.rec.name);
    case 'id':
      return (r) => r.rec.id.startsWith(value);
    case 'label': {
      const li = value.indexOf('=');
      return (r) => (li < 0 ? value in r.rec.labels : r.rec.labels[value.slice(0, li)] === value.slice(li + 1));
    }
    case 'ancestor':
      return (r) => r.rec.image === value || r.rec.imageId === value || r.rec.imageId.slice(7).startsWith(value.replace(/^sha256:/, '')) || r.rec.image === `${value}:latest`;
    case 'exited':
      return (r) => r.state.status === 'exited' && String(r.state.exitCode) === value;
    case 'health':
      return (r) => (r.state.health?.status ?? 'none') === value;
    default:
      throw new UsageError(`unsupported filter "${key}" (use status, name, id, label, ancestor, exited or health)`);
  }
}

export function selectRows(rows: PsRow[], opts: PsOptions): PsRow[] {
  const tests = (opts.filters ?? []).map(filterTest);
  const showAll = opts.all || opts.last !== undefined || (opts.filters ?? []).some((f) => f.startsWith('status=') || f.startsWith('exited='));
  let out = rows
    .filter((r) => showAll || r.state.status === 'running' || r.state.status === 'paused' || r.state.status === 'restarting')
    .filter((r) => tests.every((t) => t(r)))
    .sort((a, b) => b.rec.created.localeCompare(a.rec.created));
  if (opts.last !== undefined) out = out.slice(0, Math.max(0, opts.last));
  return out;
}

export function commandText(rec: ContainerRecord, noTrunc = false): string {
  const command = rec.process.args.join(' ');
  const shown = noTrunc || command.length <= 20 ? command : `${command.slice(0, 19)}…`;
  return JSON.stringify(shown);
}

export function portsText(row: PsRow): string {
  return row.state.status === 'running' || row.state.status === 'paused' ? row.rec.ports.map(formatPort).join(', ') : '';
}

export function psColumns(noTrunc: boolean, now = Date.now()): Array<[string, (r: PsRow) => string]> {
  return [
    ['CONTAINER ID', (r) => (noTrunc ? r.rec.id : r.rec.id.slice(0, 12))],
    ['IMAGE', (r) => r.rec.image],
    ['COMMAND', (r) => commandText(r.rec, noTrunc)],
    ['CREATED', (r) => ago(r.rec.created, now)],
    ['STATUS', (r) => statusText(r.state, now)],
    ['PORTS', portsText],
    ['NAMES', (r) => r.rec.name],
  ];
}

/** `docker ps --format json` field names. */
export function psJson(r: PsRow, now = Date.now()): Record<string, unknown> {
  return {
    ID: r.rec.id,
    Image: r.rec.image,
    ImageID: r.rec.imageId,
    Command: r.rec.process.args.join(' '),
    CreatedAt: r.rec.created,
    RunningFor: ago(r.rec.created, now),
    State: r.state.status,
    Status: statusText(r.state, now),
    ExitCode: r.state.exitCode,
    Ports: portsText(r),
    Names: r.rec.name,
    Labels: r.rec.labels,
    Health: r.state.health?.status ?? null,
  };
}
