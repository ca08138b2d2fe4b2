/** Temporary directories that tests clean up after themselves. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh directory removed when the test (or suite) ends. */
export async function tempDir(t: Pick<TestContext, 'after'> | { after: (fn: () => unknown) => void }, prefix = 'lb-test-'): Promise<string> {
  const dir = await mkdtemp(join(process.env.LIFEBOAT_TEST_TMP ?? tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
