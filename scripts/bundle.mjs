#!/usr/bin/env node
// Bundles Lifeboat's entries after tsc: dist/src/<entry>.js -> dist/bundle/<name>.cjs, one
// CommonJS file each, which src/platform/run-bundled.cts starts with a V8 code cache (it says why).
//
// The input is tsc's output, so the bundle runs exactly the code the tests import. Packages stay
// outside (node_modules, with their native addons), but for commander, which every command loads
// (seven files, ~4 ms to compile without a cache); every import() becomes a require of a lazily
// run wrapper, so a command still loads only the modules it uses. import.meta.url exists only in
// platform/install-paths.ts (test/unit/layering.test.ts), and is given the address that module has
// in dist/src/, so its paths come out the same from the bundle.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(top, 'dist');
const INSIDE = ['commander'];
const { dependencies } = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8'));
const { ENTRIES, BUNDLE_DIR } = createRequire(import.meta.url)(join(dist, 'src', 'platform', 'run-bundled.cjs'));

/**
 * commander requires node:child_process at load, for executable subcommands, which Lifeboat does
 * not use; loading it costs every command ~3 ms. In the bundle the module is required when
 * commander first spawns (never). The build stops if commander's source no longer matches.
 */
const lazyChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      const uses = [...text.matchAll(/\bchildProcess\.(\w+)/g)].map((m) => m[1]);
      if (!text.includes(eager) || uses.some((u) => u !== 'spawn')) throw new Error(`${args.path}: commander no longer loads child_process as bundle.mjs expects`);
      return { contents: text.replace(eager, "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };"), loader: 'js' };
    });
  },
};

rmSync(BUNDLE_DIR, { recursive: true, force: true }); // with the code caches of the bundles it held
const result = await build({
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, entry]) => [name, join(dist, 'src', entry)])),
  outdir: BUNDLE_DIR,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: Object.keys(dependencies).filter((d) => !INSIDE.includes(d)),
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__lifeboatInstallPathsUrl' },
  banner: { js: 'var __lifeboatInstallPathsUrl = require("node:url").pathToFileURL(require("node:path").join(__dirname, "..", "src", "platform", "install-paths.js")).href;' },
  sourcemap: 'linked',
  plugins: [lazyChildProcess],
  logLevel: 'silent',
});
for (const w of result.warnings) console.error(`bundle: ${w.location?.file ?? ''}:${w.location?.line ?? ''} ${w.text}`);
if (result.warnings.length) process.exit(1);
