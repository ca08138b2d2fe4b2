/**
 * The dependency rule from ARCHITECTURE.md, enforced: a module may import from its own folder or
 * from a folder of a LOWER layer, never sideways or up. Every static import, export-from and
 * dynamic import() in src/ is checked.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

/** Lower number = lower layer. Folders on one level may not import each other. */
export const LAYERS: Record<string, number> = {
  core: 0,
  platform: 1,
  content: 2,
  diff: 3,
  snapshots: 4,
  images: 5,
  volumes: 5,
  repository: 5,
  runtime: 5,
  transports: 5,
  ops: 6,
  scheduler: 7,
  cli: 8,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') || p.endsWith('.cts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

test('every folder under src/ has a layer', () => {
  for (const f of files(SRC)) assert.ok(layerOf(f) in LAYERS, `${relative(SRC, f)} is in a folder ARCHITECTURE.md does not place`);
});

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** The imports in `text` (the source of `file`) that break the rule. */
function violations(file: string, text: string): string[] {
  const from = layerOf(file);
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    const to = layerOf(resolve(dirname(file), spec));
    if (to !== from && (!(to in LAYERS) || LAYERS[to]! >= LAYERS[from]!)) out.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})`);
  }
  return out;
}

test('imports only point down the layers', () => {
  assert.deepEqual(files(SRC).flatMap((f) => violations(f, readFileSync(f, 'utf8'))), []);
});

test('the checker flags sideways, upward and dynamic imports, and allows downward ones', () => {
  const f = join(SRC, 'images', 'x.ts');
  assert.equal(violations(f, "import { a } from '../runtime/y.js';").length, 1, 'sideways');
  assert.equal(violations(f, "import type { a } from '../ops/y.js';").length, 1, 'upward type import');
  assert.equal(violations(f, "const m = await import('../cli/y.js');").length, 1, 'dynamic');
  assert.equal(violations(f, "export { a } from '../scheduler/y.js';").length, 1, 're-export');
  assert.deepEqual(violations(f, "import { a } from '../core/y.js';\nimport { b } from './z.js';"), []);
});

/**
 * bin/lifeboat keeps NODE_EXTRA_CA_CERTS out of Node's start-up, so a TLS client only trusts the
 * user's CAs when it is handed platform/tls-trust.ts's tlsTrust(). Modules that open HTTP(S)
 * connections are listed here, and each must use it; a new one has to be added deliberately.
 */
const TLS_CLIENTS = ['scheduler/notifier.ts'];
const OPENS_TLS = /from\s*['"]node:(?:https|tls|http2)['"]|import\(\s*['"]node:(?:https|tls|http2)['"]\s*\)|\bfetch\s*\(|\bundici\b/;

test('every module that can open a TLS connection is listed and passes tlsTrust()', () => {
  const clients = files(SRC)
    .map((f) => relative(SRC, f))
    .filter((f) => f !== 'platform/tls-trust.ts' && OPENS_TLS.test(readFileSync(join(SRC, f), 'utf8')));
  assert.deepEqual(clients.sort(), [...TLS_CLIENTS].sort(), 'a new TLS client: pass it tlsTrust() and list it here');
  for (const f of TLS_CLIENTS) assert.match(readFileSync(join(SRC, f), 'utf8'), /\btlsTrust\(\)/, `${f} must pass tlsTrust()`);
  assert.ok(OPENS_TLS.test("const r = await fetch(url, {});") && OPENS_TLS.test("import { request } from 'node:https';"), 'the pattern sees fetch and node:https');
});

/**
 * In the bundle (scripts/bundle.mjs) every module shares one file, and import.meta.url is given the
 * address platform/install-paths.ts has in dist/src/. Any other module that computed a path from
 * its own import.meta.url would get a wrong one there, so only install-paths.ts may read it.
 */
test('only platform/install-paths.ts reads import.meta', () => {
  const readers = files(SRC)
    .map((f) => relative(SRC, f))
    .filter((f) => /\bimport\.meta\b/.test(readFileSync(join(SRC, f), 'utf8').replace(/^\s*(\/\/|\*).*$/gm, '')));
  assert.deepEqual(readers, ['platform/install-paths.ts']);
});

