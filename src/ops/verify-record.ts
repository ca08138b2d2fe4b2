/**
 * Verdicts of `verify` kept next to the backups they judge, so a repository says which of its
 * backups were proven to start, when, and why one failed:
 *
 *   verifications/<backup id>/<UTC time, compact>-<pass|fail>-<6 hex>.json
 *
 * The verdict is in the file name, so listing the folder tells every backup's history without
 * reading a file; the document holds the detail (reason, exit code, health, the last log lines).
 * Files are written once (atomic put) and deleted with their backup by forget/prune.
 */
import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../core/errors.js';
import { JSON_LIMIT, encodeJson, parseStrictJson } from '../core/strict-json.js';
import { getBytes } from '../repository/backend.js';
import type { Repository } from '../repository/repository.js';

export const VERIFICATIONS_DIR = 'verifications';

export interface Verdict {
  backup: string;
  passed: boolean;
  /** One line: why it passed or failed. */
  reason: string;
  /** How the container ended up: running, exited (with its code), never started. */
  state: 'running' | 'exited' | 'not started';
  exitCode?: number;
  health?: 'healthy' | 'unhealthy' | 'starting' | 'none';
  /** The container's last log lines. */
  logs: string[];
  verifyTimeMs: number;
  durationMs: number;
  time: string;
  hostname: string;
}

export interface VerificationFile {
  backup: string;
  name: string;
  time: string;
  passed: boolean;
}

const NAME = /^verifications\/([0-9a-f]{64})\/(\d{8}T\d{9}Z)-(pass|fail)-[0-9a-f]{6}\.json$/;

function compact(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

export function parseVerificationName(name: string): VerificationFile | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const t = m[2]!;
  const time = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.${t.slice(15, 18)}Z`;
  return { backup: m[1]!, name, time, passed: m[3] === 'pass' };
}

export async function writeVerification(repo: Repository, v: Verdict): Promise<string> {
  const name = `${VERIFICATIONS_DIR}/${v.backup}/${compact(v.time)}-${v.passed ? 'pass' : 'fail'}-${randomBytes(3).toString('hex')}.json`;
  await repo.backend.put(name, encodeJson(v));
  return name;
}

/** Every verification file (of one backup, when given), oldest first. */
export async function listVerifications(repo: Repository, backup?: string): Promise<VerificationFile[]> {
  const files = await repo.backend.list(backup ? `${VERIFICATIONS_DIR}/${backup}` : VERIFICATIONS_DIR);
  return files.flatMap((f) => parseVerificationName(f.name) ?? []).sort((a, b) => a.time.localeCompare(b.time));
}

/** The newest verdict per backup id. */
export async function latestVerdicts(repo: Repository): Promise<Map<string, VerificationFile>> {
  const out = new Map<string, VerificationFile>();
  for (const f of await listVerifications(repo)) out.set(f.backup, f);
  return out;
}

export async function readVerification(repo: Repository, file: VerificationFile): Promise<Verdict> {
  return parseStrictJson(await getBytes(repo.backend, file.name, undefined, JSON_LIMIT), file.name) as Verdict;
}

/** Deletes the verification files of backups that are gone (forget, prune). */
export async function deleteVerifications(repo: Repository, keep: (backup: string) => boolean): Promise<number> {
  let n = 0;
  for (const f of await listVerifications(repo)) {
    if (keep(f.backup)) continue;
    await repo.backend.delete(f.name).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
    n++;
  }
  return n;
}
