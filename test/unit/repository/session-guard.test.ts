/**
 * SessionGuard (backends/sftp-io.ts): the SFTP session's requests fail when it dies, and an
 * answered request is not kept alive by the session. The second is a named regression: the guard
 * was `Promise.race([request, died])`, which left every answer reachable from `died` for the life
 * of the session (a restore over SFTP grew by the size of what it read).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SessionGuard } from '../../../src/repository/backends/sftp-io.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('SessionGuard', () => {
  test('passes answers and errors through and forgets settled requests', async () => {
    const g = new SessionGuard();
    assert.equal(await g.guard(Promise.resolve(7)), 7);
    await assert.rejects(g.guard(Promise.reject(new Error('no such file'))), /no such file/);
    assert.equal(g.size, 0);
  });

  test('a dying session fails what is waiting and everything sent after', async () => {
    const g = new SessionGuard();
    const waiting = g.guard(new Promise<number>(() => {})); // ssh2 never answers after the channel closed
    assert.equal(g.size, 1);
    g.kill(new Error('connection lost'));
    await assert.rejects(waiting, /connection lost/);
    await assert.rejects(g.guard(Promise.resolve(1)), /connection lost/);
    assert.equal(g.size, 0);
  });

  test('regression: an answered read is not kept alive by the session (Promise.race leak)', async () => {
    const g = new SessionGuard();
    const read = async (i: number) => new WeakRef(await g.guard(Promise.resolve(Buffer.alloc(1024 * 1024, i))));
    const refs: Array<WeakRef<Buffer>> = [];
    for (let i = 0; i < 20; i++) refs.push(await read(i));
    await g.guard(Promise.resolve(Buffer.alloc(0))); // the last answer a frame may still hold is not one of them
    await new Promise((r) => setImmediate(r));
    gc();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    assert.equal(alive, 0, `${alive} of 20 answered 1 MiB reads are still reachable`);
  });
});
