/**
 * SftpBackend against a REAL OpenSSH sshd on 127.0.0.1 (test/helpers/sshd.ts): the backend contract,
 * plus what only SFTP shows: private modes on the server, and a reconnect after the session dies.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getBytes } from '../../../src/repository/backend.js';
import { SftpBackend } from '../../../src/repository/backends/sftp-backend.js';
import { backendContract } from '../../contracts/backend.contract.js';
import { needs } from '../../helpers/requirements.js';
import { SSHD, startSshd, type Sshd } from '../../helpers/sshd.js';
import { tempDir } from '../../helpers/tmp.js';

const skip = needs({ commands: [SSHD, 'ssh-keygen'] });

describe('SftpBackend on a real sshd', { skip }, () => {
  let sshd: Sshd;
  const suite: Array<() => unknown> = [];
  before(async () => {
    sshd = await startSshd({ after: (fn) => suite.push(fn) });
  });
  after(async () => {
    for (const fn of suite.reverse()) await fn();
  });

  const open = async (t: { after: (fn: () => unknown) => void }) => {
    const root = join(await tempDir(t), 'repo');
    const backend = new SftpBackend({ user: sshd.user, host: sshd.host, port: sshd.port, path: root }, { identity: sshd.key, knownHosts: sshd.knownHosts });
    t.after(() => backend.close());
    return { backend, root };
  };

  backendContract('SftpBackend', open);

  test('files are 0600 and directories 0700 on the server', async (t) => {
    const { backend, root } = await open(t);
    await backend.put('data/ab/abcd', Buffer.from('x'));
    assert.equal((await stat(join(root, 'data/ab/abcd'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(root, 'data/ab'))).mode & 0o777, 0o700);
  });

  test('a dropped session is replaced on the next call', async (t) => {
    const { backend } = await open(t);
    await backend.put('a', Buffer.from('one'));
    await backend.close(); // as if the link went away
    assert.equal((await getBytes(backend, 'a', undefined, 10)).toString(), 'one');
  });
});
