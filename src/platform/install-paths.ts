/**
 * Where this installation's own files are: the compiled modules (dist/src/), and the files the
 * package ships beside them (native/build/, schedules/schema.json).
 *
 * This is the one module that may read import.meta.url. The CLI usually runs from the bundle
 * (dist/bundle/, see run-bundled.cts), where every module shares one file: the bundler gives this
 * module's import.meta.url the address it has in dist/src/platform/, and a module that computed a
 * path from its own import.meta.url would be wrong there (test/unit/layering.test.ts holds the rule).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/platform/ (or src/platform/ for tools that run the sources). */
const HERE = dirname(fileURLToPath(import.meta.url));

/** A compiled module or entry of this build, by its path below dist/src/: `builtPath('ops', 'x.js')`. */
export function builtPath(...parts: string[]): string {
  return join(HERE, '..', ...parts);
}

/**
 * A file the package ships outside dist/, found by walking up from here: the same answer from dist/,
 * from a copy such as dist-bench/, and from an installed package.
 */
export function shippedPath(rel: string, missing: string): string {
  for (let dir = HERE; ; dir = dirname(dir)) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    if (dirname(dir) === dir) throw new Error(`cannot find ${rel} above ${HERE}: ${missing}`);
  }
}
