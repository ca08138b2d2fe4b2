/**
 * platform/run-bundled.cts, the loader of the bundled entries, in a build laid out like dist/ in a
 * temporary directory (its own copy of the loader, a small bundle and an ES module fallback): it
 * runs the bundle with the caller's arguments, keeps one V8 code cache per bundle, node and flags,
 * replaces a cache V8 refuses, and falls back to the modules without a bundle or when told to.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/tmp.js';

const LOADER = fileURLToPath(new URL('../../../src/platform/run-bundled.cjs', import.meta.url));

// \`from\` is in the top-level code, which the cache holds compiled (inner functions compile lazily).
const BUNDLE = `const from = 'bundle';
process.stdout.write(JSON.stringify({ from, argv: process.argv.slice(2), filename: __filename, exportsIsModuleExports: exports === module.exports }));
`;

async function layout(t: TestContext): Promise<{ dist: string; run: (args: string[], opts?: { env?: Record<string, string>; node?: string[] }) => { status: number | null; out: Record<string, unknown>; stderr: string }; caches: () => string[] }> {
  const dist = await tempDir(t, 'lb-bundled-');
  mkdirSync(join(dist, 'src', 'platform'), { recursive: true });
  mkdirSync(join(dist, 'src', 'cli'), { recursive: true });
  mkdirSync(join(dist, 'bundle'));
  copyFileSync(LOADER, join(dist, 'src', 'platform', 'run-bundled.cjs'));
  writeFileSync(join(dist, 'src', 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(dist, 'src', 'cli', 'bin.js'), "process.stdout.write(JSON.stringify({ from: 'modules', argv: process.argv.slice(2), esm: typeof require === 'undefined' }));\n");
  writeFileSync(join(dist, 'bundle', 'lifeboat.cjs'), BUNDLE);
  const run = (args: string[], opts: { env?: Record<string, string>; node?: string[] } = {}) => {
    const r = spawnSync(process.execPath, [...(opts.node ?? []), join(dist, 'src', 'platform', 'run-bundled.cjs'), ...args], { encoding: 'utf8', env: { ...process.env, LIFEBOAT_NO_BUNDLE: '', ...opts.env } });
    let out: Record<string, unknown> = {};
    try {
      out = JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      /* the status and stderr say why */
    }
    return { status: r.status, out, stderr: r.stderr };
  };
  const caches = () => readdirSync(join(dist, 'bundle')).filter((f) => f.endsWith('.v8cache')).sort();
  return { dist, run, caches };
}

test('runs the bundle as the main script, with the arguments after its name', async (t) => {
  const { dist, run } = await layout(t);
  const r = run(['lifeboat', 'ps', '-a', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.out, { from: 'bundle', argv: ['ps', '-a', '--json'], filename: join(dist, 'bundle', 'lifeboat.cjs'), exportsIsModuleExports: true });
});

test('writes a code cache on the first run and uses it, unchanged, on the next', async (t) => {
  const { dist, run, caches } = await layout(t);
  assert.deepEqual(caches(), []);
  assert.equal(run(['lifeboat']).status, 0);
  const [cache] = caches();
  assert.match(cache ?? '', /^lifeboat\.[0-9a-f]{8}\.v8cache$/);
  const file = join(dist, 'bundle', cache!);
  const before = statSync(file);
  const bytes = readFileSync(file);
  assert.ok(bytes.length > 0);
  const again = run(['lifeboat', 'x']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(again.out.argv, ['x']);
  const after = statSync(file);
  assert.equal(after.ino, before.ino, 'an accepted cache is not written again');
  assert.deepEqual(caches(), [cache]);
  assert.deepEqual(readdirSync(join(dist, 'bundle')).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
});

test('a cache V8 refuses is replaced, and the entry still runs', async (t) => {
  const { dist, run, caches } = await layout(t);
  run(['lifeboat']);
  const file = join(dist, 'bundle', caches()[0]!);
  const good = readFileSync(file);
  writeFileSync(file, Buffer.alloc(good.length, 0x5a));
  const r = run(['lifeboat', 'still']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.out.argv, ['still']);
  assert.notDeepEqual(readFileSync(file), Buffer.alloc(good.length, 0x5a), 'the damaged cache was rewritten');
  assert.equal(readFileSync(file).length, good.length);
});

test('a rebuilt bundle and other V8 flags each get their own cache', async (t) => {
  const { dist, run, caches } = await layout(t);
  run(['lifeboat']);
  const first = caches();
  assert.equal(first.length, 1);
  run(['lifeboat'], { node: ['--max-semi-space-size=2'] });
  assert.equal(caches().length, 2, 'the flags make another cache');
  // Same length, other text: V8 itself would take the old cache for it (it checks only the length).
  const bundle = join(dist, 'bundle', 'lifeboat.cjs');
  writeFileSync(bundle, BUNDLE.replace("'bundle'", "'BUNDLE'"));
  utimesSync(bundle, new Date(), new Date(Date.now() + 5000));
  const r = run(['lifeboat']);
  assert.equal(r.out.from, 'BUNDLE', 'the new bundle ran, not code from the old cache');
  assert.equal(caches().length, 3);
});

test('without a bundle, or with LIFEBOAT_NO_BUNDLE=1, the ES modules run', async (t) => {
  const { dist, run, caches } = await layout(t);
  const told = run(['lifeboat', 'a'], { env: { LIFEBOAT_NO_BUNDLE: '1' } });
  assert.equal(told.status, 0, told.stderr);
  assert.deepEqual(told.out, { from: 'modules', argv: ['a'], esm: true });
  rmSync(join(dist, 'bundle', 'lifeboat.cjs'));
  const missing = run(['lifeboat', 'b']);
  assert.equal(missing.status, 0, missing.stderr);
  assert.deepEqual(missing.out, { from: 'modules', argv: ['b'], esm: true });
  assert.deepEqual(caches(), []);
});

test('an unknown entry name is a usage error', async (t) => {
  const { run } = await layout(t);
  const r = run(['nonesuch']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: run-bundled\.cjs lifeboat-light\|lifeboat\|supervisor/);
});
