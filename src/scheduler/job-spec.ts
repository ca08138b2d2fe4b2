/**
 * A scheduled job as the scheduler uses it: what schedule files say (schedules/schema.json),
 * checked and normalized (durations in ms, retention as core/retention.ts's policy, one webhook
 * list, hooks in one place). Two kinds: a backup (containers, a label selector, volumes → a
 * repository, then retention) and a drill (restore the latest backups into a sandbox and check
 * that they start). Schedule files are parsed into these by schedule-rules.ts.
 */
import type { RetentionPolicy } from '../core/retention.js';

export type ConsistencyMode = 'pause' | 'stop' | 'none';
export type NotifyWhen = 'failure' | 'success' | 'always';

/** A repository and how to reach it (SSH options matter for sftp:// only). */
export interface RepositoryTarget {
  url: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHostKey?: boolean;
}

/** `backup=true` → { key: 'backup', value: 'true' }; `backup` alone matches any value. */
export interface LabelMatch {
  key: string;
  value?: string;
}

/** Which containers a job means: by name, and/or every container whose labels match all of `labels`. */
export interface ContainerSelection {
  names: string[];
  labels: LabelMatch[];
}

export interface Consistency {
  mode: ConsistencyMode;
  /** `sh -c` in each running container read, before (its failure aborts) and after. */
  before?: string;
  after?: string;
}

export interface BackupTask {
  kind: 'backup';
  containers: ContainerSelection;
  volumes: string[];
  /** Absent: volume snapshots stay in the local store (only allowed for volume-only jobs). */
  repository?: RepositoryTarget;
  consistency: Consistency;
  retention?: RetentionPolicy;
  verify: boolean;
  verifyTimeMs?: number;
}

export interface DrillTask {
  kind: 'drill';
  containers: ContainerSelection;
  repository: RepositoryTarget;
  verifyTimeMs?: number;
}

export interface NotifySpec {
  webhooks: string[];
  on: NotifyWhen;
}

export interface JobSpec {
  name: string;
  cron: string;
  /** IANA zone; undefined: the machine's. */
  timezone?: string;
  task: BackupTask | DrillTask;
  notify?: NotifySpec;
  timeoutMs: number;
  catchUp: boolean;
  description?: string;
  /** Where the job is written, for messages: its first line, and where each field's key is (`drill.repository`). */
  source: { file: string; line: number; fields: Record<string, { line: number; column: number }> };
}

/** A run may take a day unless the job says otherwise. */
export const DEFAULT_TIMEOUT_MS = 24 * 3600 * 1000;

export function selectionText(s: ContainerSelection): string {
  const labels = s.labels.map((l) => (l.value === undefined ? l.key : `${l.key}=${l.value}`));
  return [...s.names, ...(labels.length ? [`label ${labels.join(',')}`] : [])].join(', ');
}

export function isEmptySelection(s: ContainerSelection): boolean {
  return s.names.length === 0 && s.labels.length === 0;
}

/** Whether a container's labels satisfy every match of the selector. */
export function labelsMatch(labels: Record<string, string>, matches: readonly LabelMatch[]): boolean {
  return matches.length > 0 && matches.every((m) => Object.hasOwn(labels, m.key) && (m.value === undefined || labels[m.key] === m.value));
}
