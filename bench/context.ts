/** What every benchmark suite gets: the scale, the dataset, a scratch dir, and how to run lifeboat. */
import type { Row } from './report.js';

export interface BenchContext {
  scale: number;
  runs: number;
  /** The generated dataset (read-only for suites). */
  data: string;
  /** Scratch space; suites make their own subdirectories. */
  work: string;
  /** argv prefix that runs the compiled CLI. */
  lifeboat: string[];
  log(message: string): void;
}

export interface Suite {
  name: string;
  /** Commands the suite needs; it is skipped (and says so) when one is missing. */
  needs: string[];
  run(ctx: BenchContext): Promise<Row[]>;
}
