/**
 * Starts one of Lifeboat's entries (the CLI, a container's supervisor) from its bundle, with a V8
 * code cache. CommonJS, so that node starts it without its ES module loader.
 *
 * Why: a container command's cost is mostly Node's start-up. Loaded as ES modules, `lifeboat rm`
 * spends ~0.4 ms on each of the ~60 modules it reads, and a bundle without a cache spends ~20 ms
 * compiling its 900 KB. From one file with a code cache it starts in about 40 ms instead of 60.
 * scripts/bundle.mjs writes dist/bundle/NAME.cjs from the compiled modules after tsc.
 *
 * The cache is V8's, valid for one node binary, one set of V8 flags and one bundle; V8 checks the
 * first two itself and only the length of the source, so the file's name carries the rest (the
 * bundle's size and mtime, node's version, its flags). It is written beside the bundle the first
 * time a combination runs (to a temporary name, then renamed, so concurrent first runs are safe);
 * where it cannot be written the entry runs uncached.
 *
 * Without a bundle (a tsc-only build) or with LIFEBOAT_NO_BUNDLE=1, the entry's ES module runs
 * instead: the same code, slower to start, with stack traces in the sources' own lines.
 *
 * `node run-bundled.cjs NAME ARGS...` runs NAME as if it were the main script with ARGS.
 */
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/** Each entry's ES module below dist/src/; its bundle is dist/bundle/NAME.cjs. */
export const ENTRIES = {
  /** The CLI's start: the container commands, handing every other over to `lifeboat`. */
  'lifeboat-light': 'cli/bin-light.js',
  lifeboat: 'cli/bin.js',
  supervisor: 'ops/container-supervisor-main.js',
} as const;
export type EntryName = keyof typeof ENTRIES;

const BUILT = join(__dirname, '..');
export const BUNDLE_DIR = join(BUILT, '..', 'bundle');

export function runBundled(name: EntryName): void {
  const bundle = join(BUNDLE_DIR, `${name}.cjs`);
  let source: string | undefined;
  try {
    if (process.env.LIFEBOAT_NO_BUNDLE !== '1') source = readFileSync(bundle, 'utf8');
  } catch {
    /* a tsc-only build: run the modules */
  }
  if (source === undefined) {
    void import(pathToFileURL(join(BUILT, ENTRIES[name])).href);
    return;
  }
  const cacheFile = join(BUNDLE_DIR, `${name}.${cacheKey(bundle)}.v8cache`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first run of this combination */
  }
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) writeCache(cacheFile, script.createCachedData());
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  const mod = new Module(bundle, require.main ?? module);
  mod.filename = bundle;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, dirname(bundle));
}

/** What the cache depends on besides what V8 checks itself (FNV-1a; a name, not a guard). */
function cacheKey(bundle: string): string {
  const st = statSync(bundle);
  const text = [process.version, process.arch, st.size, st.mtimeMs, process.execArgv.join(' '), process.env.NODE_OPTIONS ?? ''].join('\n');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function writeCache(file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* never made */
    }
  }
}

if (require.main === module) {
  const name = process.argv[2];
  if (name !== undefined && name in ENTRIES) {
    process.argv.splice(1, 2, join(BUILT, ENTRIES[name as EntryName]));
    runBundled(name as EntryName);
  } else {
    process.stderr.write(`usage: run-bundled.cjs ${Object.keys(ENTRIES).join('|')} [ARGS...]\n`);
    process.exitCode = 2;
  }
}
