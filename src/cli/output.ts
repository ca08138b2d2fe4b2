/**
 * Results go to stdout: a table like Docker's, or JSON with --json. Everything for humans that is not
 * the result (progress, warnings, errors) goes to stderr.
 */

/** Docker-style table: upper-case headers, columns padded to the widest cell plus 3 spaces. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Truncates like Docker's --no-trunc=false columns: "sh -c 'while…" */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
