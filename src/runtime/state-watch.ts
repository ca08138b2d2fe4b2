/**
 * Wakes a waiter when a container's records change. state.json is replaced by a rename into the
 * container's directory, which inotify (fs.watch) reports at once; so `stop`, `kill`, `wait` and
 * `rm -f` see the supervisor's exit record as soon as it is written instead of at their next
 * poll. Waiters still poll too: a supervisor that dies writes nothing (liveness.ts notices), and
 * a directory that cannot be watched (removed, out of inotify watches) leaves only the polling.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface StateChanges {
  /** Resolves at the next change (at once if one came since the last call), or after `ms`. */
  next(ms: number): Promise<void>;
  /** Whether changes wake the waiter (false: it can only poll). */
  readonly watching: boolean;
  close(): void;
}

/** Watches `statePath` (a container's state.json) through its directory. */
export function watchState(statePath: string): StateChanges {
  const name = basename(statePath);
  let changed = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  // Only state.json counts: the json log in the same directory changes with every line of output.
  const onChange = (_event: string, file: string | null) => {
    if (file !== null && file !== name) return;
    changed = true;
    wake?.();
  };
  try {
    watcher = watch(dirname(statePath), { persistent: false }, onChange);
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    /* polling only */
  }
  return {
    get watching() {
      return watcher !== undefined;
    },
    next(ms) {
      if (changed) {
        changed = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          changed = false;
          resolve();
        }
        wake = done;
      });
    },
    close() {
      watcher?.close();
      wake?.();
    },
  };
}
