/**
 * Tests that need something from the machine (root, a binary, a running daemon) ask for it here and
 * skip with a clear message when it is absent. CI installs everything, so nothing skips there; set
 * LIFEBOAT_REQUIRE_ALL=1 (CI does) to turn every such skip into a failure.
 */
import { spawnSync } from 'node:child_process';

const strict = process.env.LIFEBOAT_REQUIRE_ALL === '1';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Returns a skip reason when something is missing, or undefined when everything is there. Use as
 * `test('x', { skip: needs({ root: true, commands: ['skopeo'] }) }, ...)`. In strict mode a missing
 * requirement throws instead, so CI cannot silently skip.
 */
export function needs(req: { root?: boolean; commands?: string[] }): string | undefined {
  const missing: string[] = [];
  if (req.root && !isRoot()) missing.push('root');
  for (const c of req.commands ?? []) if (!hasCommand(c)) missing.push(c);
  if (missing.length === 0) return undefined;
  const reason = `needs ${missing.join(', ')} (not available here)`;
  if (strict) throw new Error(`LIFEBOAT_REQUIRE_ALL=1 but this test ${reason}`);
  return reason;
}
