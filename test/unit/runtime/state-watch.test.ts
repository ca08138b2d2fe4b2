/**
 * The waiters' wake-up: a new state.json (written as temp + rename, like the store does) wakes a
 * waiter at once; output appended to the log beside it does not.
 */
import assert from 'node:assert/strict';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { watchState } from '../../../src/runtime/state-watch.js';
import { tempDir } from '../../helpers/tmp.js';

test('a replaced state.json wakes the waiter; log output does not', async (t) => {
  const dir = await tempDir(t);
  const state = join(dir, 'state.json');
  const changes = watchState(state);
  t.after(() => changes.close());
  assert.equal(changes.watching, true, 'the waiter may poll slowly: changes wake it');

  let began = Date.now();
  const woken = changes.next(5_000);
  await writeFile(join(dir, '.state.json.tmp'), '{}');
  await rename(join(dir, '.state.json.tmp'), state);
  await woken;
  assert.ok(Date.now() - began < 2_000, 'woken by the rename, not by the timeout');

  await changes.next(0); // whatever else the rename reported
  began = Date.now();
  const quiet = changes.next(300);
  await appendFile(join(dir, 'x-json.log'), '{"log":"hi\\n"}\n');
  await quiet;
  assert.ok(Date.now() - began >= 250, 'a log write is not a state change');
});

test('a directory that cannot be watched still times out', async () => {
  const changes = watchState('/nonexistent/lifeboat/state.json');
  assert.equal(changes.watching, false, 'the waiter must keep polling fast');
  const began = Date.now();
  await changes.next(50);
  assert.ok(Date.now() - began >= 40);
  changes.close();
});
