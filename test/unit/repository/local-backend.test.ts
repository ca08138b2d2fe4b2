/** LocalBackend runs the backend contract, plus what only a local directory can show: private modes. */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBackend } from '../../../src/repository/backends/local-backend.js';
import { backendContract } from '../../contracts/backend.contract.js';
import { tempDir } from '../../helpers/tmp.js';

backendContract('LocalBackend', async (t) => ({ backend: new LocalBackend(join(await tempDir(t), 'repo')) }));

test('repository files are private: files 0600, directories 0700', async (t) => {
  const root = join(await tempDir(t), 'repo');
  const b = new LocalBackend(root);
  const old = process.umask(0o022);
  try {
    await b.put('data/ab/abcd', Buffer.from('x'));
  } finally {
    process.umask(old);
  }
  assert.equal((await stat(join(root, 'data/ab/abcd'))).mode & 0o777, 0o600);
  assert.equal((await stat(join(root, 'data/ab'))).mode & 0o777, 0o700);
  assert.equal((await stat(root)).mode & 0o777, 0o700);
});
