/** Plain-text tables and number formats shared by every part of `npm run bench`. */

/** Columns before `leftColumns` are text (left-aligned), the rest figures (right-aligned). */
export function printTable(
  head: readonly string[],
  body: readonly string[][],
  log: (line?: string) => void,
  leftColumns = 1,
): void {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  log(line(head));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) log(line(row));
}

export function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

/** ns as ns, µs or ms, whichever reads best. */
export function duration(ns: number): string {
  if (Math.abs(ns) >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (Math.abs(ns) >= 1000) return `${(ns / 1000).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
