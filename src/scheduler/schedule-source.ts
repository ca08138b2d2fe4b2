/**
 * One schedule file, parsed with positions. YAML and JSON both go through the `yaml` parser (JSON is
 * YAML), so every node keeps its offset and a LineCounter turns offsets into line:column. Syntax
 * errors become issues; later checks ask `at(path)` where a value (or its key) is written.
 *
 * Hostile input: at most 1 MiB of text, aliases expand at most 100 times (a "billion laughs" file
 * is refused), duplicate keys are errors.
 *
 * A ScheduleIssue is a mistake (or a doubt) found in a file, with file, line, column, job and
 * field, as compilers report them; the helpers below sort, format and name fields for them.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';

export const MAX_SCHEDULE_BYTES = 1024 * 1024;

type Path = ReadonlyArray<string | number>;

export class ScheduleSource {
  readonly issues: ScheduleIssue[] = [];
  /** The document as plain data; undefined when it could not be parsed at all. */
  readonly value: unknown;
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed | undefined;

  constructor(readonly file: string, readonly text: string) {
    if (Buffer.byteLength(text) > MAX_SCHEDULE_BYTES) {
      this.error({ line: 0, column: 0 }, '', `the file is larger than ${MAX_SCHEDULE_BYTES} bytes; schedule files are small`);
      return;
    }
    const doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, merge: false });
    this.doc = doc;
    for (const e of doc.errors) this.error(this.pos(e.pos[0]), '', cleanYamlMessage(e.message, e.code));
    for (const w of doc.warnings) this.issues.push({ severity: 'warning', file, ...this.pos(w.pos[0]), field: '', message: cleanYamlMessage(w.message, w.code) });
    if (doc.errors.length) return;
    try {
      this.value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      this.error({ line: 1, column: 1 }, '', (err as Error).message);
    }
  }

  /** Where the value at `path` is written (or its key, with `key`); the nearest existing parent otherwise. */
  at(path: Path, key = false): Position {
    if (!this.doc) return { line: 1, column: 1 };
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (key && n === path.length && n > 0) {
        const parent = n === 1 ? this.doc.contents : this.doc.getIn(sub.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(sub[n - 1]));
          const k = pair?.key as Node | undefined;
          if (k?.range) return this.pos(k.range[0]);
        }
      }
      const node = n === 0 ? this.doc.contents : (this.doc.getIn(sub, true) as Node | undefined);
      if (node && (isMap(node) || isSeq(node) || isScalar(node)) && node.range) return this.pos(node.range[0]);
    }
    return { line: 1, column: 1 };
  }

  /** The keys of the map at `path` in the order they are written (for "unknown field" positions). */
  keysAt(path: Path): string[] {
    const node = path.length === 0 ? this.doc?.contents : this.doc?.getIn(path, true);
    return isMap(node) ? node.items.flatMap((p) => (isScalar(p.key) ? [String(p.key.value)] : [])) : [];
  }

  private pos(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }

  private error(at: Position, field: string, message: string): void {
    this.issues.push({ severity: 'error', file: this.file, ...at, field, message });
  }
}

/** The yaml library's message without its own "at line X, column Y" and code excerpt (we print the position). */
function cleanYamlMessage(message: string, code: string): string {
  const first = message.split(/ at line \d+, column \d+/)[0]!.trim();
  const text = first.replace(/\s*\n[\s\S]*$/, '');
  return code === 'DUPLICATE_KEY' ? `${text} (a field is given twice)` : text;
}

export type Severity = 'error' | 'warning';

export interface ScheduleIssue {
  severity: Severity;
  file: string;
  /** 1-based; 0 when the issue is about the file as a whole (unreadable, empty directory). */
  line: number;
  column: number;
  /** The job's name, when the issue is inside a job that has one. */
  job?: string;
  /** Dotted path of the field inside the job (`retention.keep-daily`), or of the document (`jobs[2]`). */
  field: string;
  message: string;
}

export interface Position {
  line: number;
  column: number;
}

/** Sorted the way a reader walks the files: by file, then line, then column. */
export function sortIssues(issues: ScheduleIssue[]): ScheduleIssue[] {
  return [...issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.message.localeCompare(b.message));
}

export function hasErrors(issues: readonly ScheduleIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

/** `file:line:column: severity: job NAME: field: message`, one line. */
export function formatIssue(i: ScheduleIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  const job = i.job !== undefined ? `job ${i.job}: ` : '';
  const field = i.field ? `${i.field}: ` : '';
  return `${where}: ${i.severity}: ${job}${field}${i.message}`;
}

/** A JSON-pointer-like path ([ 'jobs', 0, 'retention', 'keep-daily' ]) as `jobs[0].retention.keep-daily`. */
export function pathText(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** Within a job: the path below `jobs[i]`, as the field name users see. */
export function jobFieldText(path: ReadonlyArray<string | number>): string {
  return path[0] === 'jobs' && typeof path[1] === 'number' ? pathText(path.slice(2)) : pathText(path);
}

/** Levenshtein distance, for "did you mean" on unknown fields. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

/** The closest of `known` to `word` (case and - _ ignored), when it is close enough to be a typo. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(norm(word), norm(k));
    if (!best || d < best.d) best = { name: k, d };
  }
  return best && best.d <= Math.max(1, Math.floor(word.length / 3)) ? best.name : undefined;
}
