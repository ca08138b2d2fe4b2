/**
 * A stage for hostile-archive tests: `<base>/root` is where layers are applied, `<base>/victim`
 * beside it holds a file no archive may touch. `assertVictimUntouched` checks the victim tree
 * (content, modes, link counts, mtimes) and that nothing new appeared next to the root.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { applyLayer, type ApplyOptions, type ApplyResult } from '../../src/diff/apply.js';
import { chunked, tarBytes, type FixtureEntry, type FixtureOptions } from './tar-fixtures.js';
import { diffTrees, snapshotTree, type TreeSnapshot } from './tree-compare.js';
import { tempDir } from './tmp.js';

export interface HostileScene {
  base: string;
  root: string;
  victim: string;
  /** Applies an archive built from `entries` (fed in odd-sized chunks) to the root. */
  apply(entries: FixtureEntry[], opts?: Partial<ApplyOptions>, fixture?: FixtureOptions): Promise<ApplyResult>;
  assertVictimUntouched(): Promise<void>;
}

export async function hostileScene(t: Pick<TestContext, 'after'>): Promise<HostileScene> {
  const base = await tempDir(t, 'lb-hostile-');
  const root = join(base, 'root');
  const victim = join(base, 'victim');
  await mkdir(root);
  await mkdir(victim);
  await writeFile(join(victim, 'hello'), 'original', { mode: 0o644 });
  const before: TreeSnapshot = await snapshotTree(victim);
  const victimStat = await stat(victim);
  return {
    base,
    root,
    victim,
    apply: (entries, opts = {}, fixture = {}) => applyLayer(root, chunked(tarBytes(entries, fixture), 701), { whiteouts: 'flatten', ...opts }),
    async assertVictimUntouched() {
      assert.deepEqual(diffTrees(before, await snapshotTree(victim)), [], 'the victim tree is unchanged');
      const st = await stat(victim);
      assert.equal(st.mode, victimStat.mode, 'victim dir mode unchanged');
      assert.equal((await stat(join(victim, 'hello'))).nlink, 1, 'nobody linked to the victim file');
      assert.deepEqual((await readdir(base)).sort(), ['root', 'victim'], 'nothing appeared beside the root');
    },
  };
}

/** `fn` must reject with a LifeboatError whose code is `code` and whose message matches `message`. */
export async function assertRefused(fn: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(fn, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, `error code (message: ${err.message})`);
    if (message) assert.match(err.message, message);
    return true;
  });
}
