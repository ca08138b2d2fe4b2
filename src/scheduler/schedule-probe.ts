/**
 * The checks of `schedule validate` that look outside the file, all WARNINGS (the world may change
 * by the time the job runs; the file is not wrong): a container name this host does not have, a
 * label selector that matches no container, a volume that does not exist, a repository that cannot
 * be reached or holds no repository yet. Each repository is tried once, with a short deadline and
 * no retries, so a file naming an unreachable NAS validates in seconds.
 */
import { LifeboatError } from '../core/errors.js';
import { openRepository } from '../repository/repository.js';
import { ContainerStore } from '../runtime/container-store.js';
import { VolumeStore } from '../volumes/volume-store.js';
import { labelsMatch, type JobSpec, type RepositoryTarget } from './job-spec.js';
import type { ScheduleIssue } from './schedule-source.js';

export interface ProbeOptions {
  root: string;
  /** Per repository. Default 8 s. */
  timeoutMs?: number;
}

export async function probeJobs(jobs: readonly JobSpec[], opts: ProbeOptions): Promise<ScheduleIssue[]> {
  const issues: ScheduleIssue[] = [];
  const containers = await new ContainerStore(opts.root).list().catch(() => []);
  const volumes = new VolumeStore(opts.root);
  const repos = new Map<string, Promise<string | undefined>>();
  const warn = (job: JobSpec, field: string, message: string) =>
    issues.push({ severity: 'warning', file: job.source.file, ...(job.source.fields[field] ?? { line: job.source.line, column: 1 }), job: job.name, field, message });

  for (const job of jobs) {
    const t = job.task;
    const at = t.kind === 'drill' ? 'drill.' : '';
    // A drill restores from the repository, so its containers need not exist on this host.
    if (t.kind === 'backup') {
      for (const name of t.containers.names) {
        if (!containers.some((c) => c.name === name)) warn(job, 'containers', `no container named "${name}" on this host (yet): its backups will fail until there is`);
      }
      if (t.containers.labels.length && !containers.some((c) => labelsMatch(c.labels, t.containers.labels))) {
        warn(job, 'selector', `the selector matches no container on this host (yet)`);
      }
      for (const v of t.volumes) {
        if (!(await volumes.exists(v).catch(() => false))) warn(job, 'volumes', `no volume named "${v}" (yet): its snapshots will fail until there is`);
      }
      if (t.volumes.length && t.repository) {
        warn(job, 'volumes', 'volumes on their own are snapshotted into the local store; the repository receives container backups (each with its volumes)');
      }
    }
    const repo = t.repository;
    if (repo) {
      const key = JSON.stringify(repo);
      if (!repos.has(key)) repos.set(key, reach(repo, opts.timeoutMs ?? 8000));
      const problem = await repos.get(key)!;
      if (problem) warn(job, `${at}repository`, problem);
    }
  }
  return issues;
}

/** Why the repository cannot be used now, or undefined when it opens. */
async function reach(target: RepositoryTarget, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`${target.url} did not answer within ${timeoutMs / 1000}s`), timeoutMs);
  });
  const attempt = (async () => {
    try {
      const repo = await openRepository(target.url, {
        ...(target.identity ? { identity: target.identity } : {}),
        ...(target.knownHosts ? { knownHosts: target.knownHosts } : {}),
        acceptNewHostKey: false,
        readyTimeoutMs: timeoutMs,
        retry: { retries: 0 },
      });
      await repo.close();
      return undefined;
    } catch (err) {
      const e = err instanceof LifeboatError ? err : undefined;
      return `unreachable repository: ${(err as Error).message}${e?.hint ? ` (${e.hint})` : ''}`;
    }
  })();
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
