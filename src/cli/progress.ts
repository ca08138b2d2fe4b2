/**
 * Progress on a terminal: one bar per task with bytes done, total, rate and ETA (cli-progress),
 * written to stderr and only when stderr is a TTY and the output is not --json. Otherwise tasks
 * are silent and info/warn lines go to stderr as plain text.
 */
import type { Progress, ProgressTask } from '../core/progress.js';
import { humanSize } from '../core/units.js';

interface BarLike {
  update(value: number, payload?: object): void;
  setTotal(total: number): void;
  getTotal(): number;
  stop(): void;
}

export async function createProgress(opts: { json: boolean; stream?: NodeJS.WriteStream }): Promise<Progress> {
  const stream = opts.stream ?? process.stderr;
  const lines: Progress = {
    task: () => ({ total() {}, advance() {}, done(message?: string) { if (message && !opts.json) stream.write(`${message}\n`); } }),
    info: (m) => { if (!opts.json) stream.write(`${m}\n`); },
    warn: (m) => stream.write(`WARNING: ${m}\n`),
  };
  if (opts.json || !stream.isTTY || process.env.LIFEBOAT_NO_PROGRESS) return lines;

  const { default: cliProgress } = await import('cli-progress');
  const multi = new cliProgress.MultiBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 30,
      fps: 8,
      format: (options, params, payload: { label: string; start: number }) => {
        const total = params.total > 0 ? params.total : 0;
        const filled = total ? Math.round((params.value / total) * (options.barsize ?? 30)) : 0;
        const bar = '='.repeat(Math.max(0, filled - 1)) + (filled ? '>' : '') + ' '.repeat(Math.max(0, (options.barsize ?? 30) - filled));
        const secs = Math.max(0.001, (Date.now() - payload.start) / 1000);
        const rate = `${humanSize(params.value / secs)}/s`;
        const eta = total && params.value > 0 ? `${Math.max(0, Math.round(((total - params.value) / params.value) * secs))}s` : '--';
        const amount = total ? `${humanSize(params.value)}/${humanSize(total)}` : humanSize(params.value);
        return `${payload.label} [${bar}] ${amount} ${rate} ETA ${eta}`;
      },
    },
    cliProgress.Presets.legacy,
  );
  let active = 0;
  return {
    task(label: string, total = 0): ProgressTask {
      const bar = multi.create(total, 0, { label, start: Date.now() }) as unknown as BarLike;
      active++;
      let value = 0;
      let finished = false;
      return {
        total: (t) => bar.setTotal(t),
        advance: (n) => { value += n; bar.update(value); },
        done: (message) => {
          if (finished) return;
          finished = true;
          bar.update(value, {});
          multi.remove(bar as never);
          if (message) multi.log(`${message}\n`);
          if (--active === 0) multi.stop();
        },
      };
    },
    info: (m) => multi.log(`${m}\n`),
    warn: (m) => multi.log(`WARNING: ${m}\n`),
  };
}
