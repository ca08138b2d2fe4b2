/**
 * A push in a process of its own, so tests can kill it (SIGKILL) or cut its network mid-way:
 * `node repo-push-child.js` with LB_PUSH = JSON {store, url, roots, packTarget?, ssh?, retry?}.
 * It prints `PACK <id>` as each pack arrives whole, then `REPORT <json>`; on failure
 * `ERROR <code> <message>` and the error's exit status (the CLI's mapping).
 */
import type { Descriptor } from '../../src/core/oci.js';
import { LifeboatError } from '../../src/core/errors.js';
import { LocalContentStore } from '../../src/content/local-store.js';
import { pushToRepository } from '../../src/ops/repo-copy.js';
import type { OpenBackendOptions } from '../../src/repository/backends/open-backend.js';
import { openRepository } from '../../src/repository/repository.js';

export interface PushJob {
  store: string;
  url: string;
  roots: Descriptor[];
  packTarget?: number;
  concurrency?: number;
  backend?: OpenBackendOptions;
}

async function main(): Promise<number> {
  const job = JSON.parse(process.env.LB_PUSH ?? '{}') as PushJob;
  const store = await LocalContentStore.open(job.store);
  const backend: OpenBackendOptions = { ...job.backend, retry: { ...job.backend?.retry, onRetry: (err, attempt, delay) => process.stderr.write(`retry ${attempt} in ${Math.round(delay)}ms after: ${(err as Error).message}\n`) } };
  const repo = await openRepository(job.url, backend);
  try {
    const report = await repo.withLock('shared', () =>
      pushToRepository(store, repo, job.roots, {
        ...(job.packTarget ? { packTarget: job.packTarget } : {}),
        ...(job.concurrency ? { concurrency: job.concurrency } : {}),
        onPack: (p) => process.stdout.write(`PACK ${p.id} ${p.size}\n`),
      }),
    );
    process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
    return 0;
  } catch (err) {
    const e = err instanceof LifeboatError ? err : undefined;
    process.stdout.write(`ERROR ${e?.code ?? 'INTERNAL'} ${(err as Error).message}\n`);
    return e?.exitCode ?? 1;
  } finally {
    await repo.close().catch(() => undefined);
  }
}

// A promise that nothing will ever settle lets Node leave its event loop with exit status 0: make
// that a loud failure, not a silent success.
process.on('beforeExit', () => {
  process.stdout.write('ERROR HUNG the push stopped with work pending and nothing to wait for\n');
  process.exit(99);
});
main().then((code) => process.exit(code));
