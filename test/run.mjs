#!/usr/bin/env node
// Runs the compiled test suite (dist/test) with Node's test runner. Arguments narrow it down:
//   node test/run.mjs                 everything
//   node test/run.mjs unit            only test/unit
//   node test/run.mjs unit/diff       one folder
// Suites that need a component (root, dockerd, sshd, skopeo, ...) skip with a message when it is absent.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// LIFEBOAT_DIST lets several builds (say, one per engineer) live side by side; default dist/.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', process.env.LIFEBOAT_DIST ?? 'dist', 'test');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const dirs = wanted.length ? wanted.map((w) => join(root, w)) : [root];

function collect(p, out) {
  if (!existsSync(p)) throw new Error(`no compiled tests at ${p} (did tsc run?)`);
  if (statSync(p).isFile()) return out.push(p);
  for (const name of readdirSync(p).sort()) {
    const full = join(p, name);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (name.endsWith('.test.js')) out.push(full);
  }
}
// The CLI the tests start runs from dist/bundle/ (scripts/bundle.mjs): one older than the modules
// tsc wrote would test yesterday's code. `npm test` and `npm run build` write both.
const dist = join(root, '..');
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.js') || e.name.endsWith('.cjs') ? statSync(p).mtimeMs : 0);
  }
  return t;
}
const { ENTRIES } = createRequire(import.meta.url)(join(dist, 'src', 'platform', 'run-bundled.cjs'));
const bundled = Math.min(...Object.keys(ENTRIES).map((n) => (existsSync(join(dist, 'bundle', `${n}.cjs`)) ? statSync(join(dist, 'bundle', `${n}.cjs`)).mtimeMs : 0)));
if (bundled < newest(join(dist, 'src'))) {
  console.error(`${join(dist, 'bundle')} is missing or older than ${join(dist, 'src')}: run \`npm run build\` (tsc, then scripts/bundle.mjs)`);
  process.exit(2);
}

const files = [];
for (const d of dirs) collect(d, files);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...passthrough, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
