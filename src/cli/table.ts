// Columns as Go's text/tabwriter lays out runc's tables (minwidth 12, padding 3; the last
// column is not padded).
export function formatTable(rows: string[][], minWidth = 12, padding = 3): string {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, Math.max(minWidth, c.length + padding))));
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('') + '\n').join('');
}
