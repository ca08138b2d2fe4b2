/**
 * `-u user[:group]` against a container's /etc/passwd and /etc/group, with Docker's rules: names
 * or numbers; a number not in passwd is used as is with group 0; a name that is not there is an
 * error. The start script does the same in shell (start-script.ts lb_user); this is the version
 * `exec` and the tests use.
 */
import { ContainerStartError } from './start-error.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
}

function findEntry(text: string, key: string, idField: number): string[] | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length > idField && (f[0] === key || f[idField] === key)) return f;
  }
  return undefined;
}

export function resolveUser(spec: string, passwd: string, group: string): ResolvedUser {
  const colon = spec.indexOf(':');
  const user = colon < 0 ? spec : spec.slice(0, colon);
  const grp = colon < 0 ? '' : spec.slice(colon + 1);
  let uid: number;
  let gid: number;
  if (user === '') {
    uid = 0;
    gid = 0;
  } else {
    const entry = findEntry(passwd, user, 2);
    if (entry) {
      uid = Number(entry[2]);
      gid = Number(entry[3]);
    } else if (/^\d+$/.test(user)) {
      uid = Number(user);
      gid = 0;
    } else {
      throw new ContainerStartError(`unable to find user ${user}: no matching entries in passwd file`, 125);
    }
  }
  if (grp !== '') {
    const entry = findEntry(group, grp, 2);
    if (entry) gid = Number(entry[2]);
    else if (/^\d+$/.test(grp)) gid = Number(grp);
    else throw new ContainerStartError(`unable to find group ${grp}: no matching entries in group file`, 125);
  }
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new ContainerStartError(`invalid user entry for "${spec}"`, 125);
  return { uid, gid };
}
