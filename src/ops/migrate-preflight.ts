/**
 * The preflight of a migration: everything that can be known before anything changes, on either
 * side. It asks the target twice (`receive check`, `receive has`) and judges the answers against
 * the plan (ops/migrate-plan.ts):
 *
 *   Lifeboat answers there and speaks this protocol        else exit 13 (LIFEBOAT_MISSING/TOO_OLD)
 *   the same architecture (the image's layers run there)  else exit 4 (ARCH_MISMATCH)
 *   the container name and the volume names are free       else exit 4 (NAME_IN_USE): --name/--volume
 *   ports free there (containers on the host network)      else exit 4 (PORT_IN_USE): -p
 *   bind host paths exist there (binds are not moved)      else exit 4 (BIND_MISSING)
 *   free space for about 3x what the target lacks          else exit 14 (NO_SPACE)
 *
 * Why 3x: while the migration runs, the target holds the temporary repository and the restored
 * volumes (staged ahead of the cut-over) at once, and the repository goes only at the end; the
 * third copy is margin (data written during the pre-copy, the filesystem's own overhead).
 * Restores read chunks in place from the repository, so there is no scratch copy of them.
 * Every problem found is listed in the error's data; the message names the first.
 */
import { ExitCode, LifeboatError, NoSpaceError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import { hostPlatform } from '../core/oci.js';
import { humanSize } from '../core/units.js';
import { lackedBytes, type MigratePlan } from './migrate-plan.js';
import type { RemoteLifeboat } from './migrate-remote.js';
import { RECEIVE_PROTOCOL, type ReceiveFacts } from './migrate-receive.js';

/** Room kept free beyond the estimate (logs, records, the filesystem's own needs). */
export const SPACE_MARGIN = 16 * 1024 * 1024;
export const SPACE_FACTOR = 3;

export interface PreflightResult {
  facts: ReceiveFacts;
  /** Image blobs the target's store already holds: they are not sent. */
  present: Set<Digest>;
  lacked: { image: number; data: number; total: number };
  needBytes: number;
}

/** The judgement alone (pure): every problem, in the order the table above lists them. */
export function judgeFacts(plan: MigratePlan, facts: ReceiveFacts, lacked: { total: number }, where: string): LifeboatError[] {
  const problems: LifeboatError[] = [];
  const conflict = (code: string, message: string, hint: string) => problems.push(new LifeboatError(code, ExitCode.CONFLICT, message, { hint }));
  if (facts.protocol !== RECEIVE_PROTOCOL) {
    problems.push(new LifeboatError('LIFEBOAT_TOO_OLD', ExitCode.UNREACHABLE, `the Lifeboat on ${where} speaks migration protocol ${facts.protocol}, this one ${RECEIVE_PROTOCOL}`, { hint: 'run the same Lifeboat version on both hosts' }));
  }
  const here = hostPlatform();
  if (facts.architecture !== here.architecture || facts.os !== here.os) {
    conflict('ARCH_MISMATCH', `${where} is ${facts.os}/${facts.architecture}, this host ${here.os}/${here.architecture}: the container's image would not run there`, 'migrate to a host of the same architecture');
  }
  if (facts.containerExists) conflict('NAME_IN_USE', `a container named ${plan.names.container} exists on ${where}`, 'choose another name there with --name NEW');
  for (const v of facts.volumesExisting) conflict('NAME_IN_USE', `a volume named ${v} exists on ${where}`, `restore it under another name there with --volume ${plan.names.volumes.find((x) => x.target === v)?.source ?? v}=NEW`);
  for (const p of facts.portsBusy) conflict('PORT_IN_USE', `port ${p} is in use on ${where} (the container uses the host network)`, 'free it there, or give the container another port with -p');
  for (const p of facts.pathsMissing) conflict('BIND_MISSING', `the bind-mounted host path ${p} does not exist on ${where}`, 'binds are not moved: create it there (with its data) first');
  const need = SPACE_FACTOR * lacked.total + SPACE_MARGIN;
  if (facts.freeBytes < need) {
    problems.push(
      new NoSpaceError(`${where} has ${humanSize(facts.freeBytes)} free for its store (${facts.root}), and the migration needs about ${humanSize(need)} (3 x the ${humanSize(lacked.total)} it lacks, while it runs)`, {
        hint: 'free space on the target (or choose a store root on a larger filesystem with --remote-root); nothing was changed',
        data: { freeBytes: facts.freeBytes, needBytes: need },
      }),
    );
  }
  return problems;
}

export async function preflight(remote: RemoteLifeboat, plan: MigratePlan): Promise<PreflightResult> {
  const where = remote.ssh.target.host;
  const facts = await remote.facts({
    container: plan.names.container,
    volumes: [...new Set(plan.names.volumes.flatMap((v) => (v.target !== undefined ? [v.target] : [])))],
    ports: plan.container.network === 'host' ? plan.names.ports : [],
    paths: plan.names.binds,
  });
  const present = await remote.has(plan.image.blobs.map((d) => d.digest));
  const lacked = lackedBytes(plan, present);
  const problems = judgeFacts(plan, facts, lacked, where);
  const first = problems[0];
  if (first) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).map((p) => p.message).join('; ')})` : '';
    const data = { ...first.data, problems: problems.map((p) => ({ error: p.code, message: p.message, exitCode: p.exitCode })) };
    throw new LifeboatError(first.code, first.exitCode, first.message + more, { ...(first.hint ? { hint: first.hint } : {}), data });
  }
  return { facts, present, lacked, needBytes: SPACE_FACTOR * lacked.total + SPACE_MARGIN };
}
