// Pipe-table rows at byte level. '|' is ASCII, so it never occurs inside a multi-byte UTF-8
// sequence: splitting bytes on it is safe even when the line holds mojibake or invalid bytes.

const PIPE = 0x7c;
const BACKSLASH = 0x5c;

export interface RowLayout {
  /** Cells as [start, end) byte ranges of the line content (whitespace included). */
  cells: Array<[number, number]>;
  leadingPipe: boolean;
  trailingPipe: boolean;
  /** Byte offset of the last unescaped pipe, -1 if none. */
  lastPipe: number;
  /** Offset where trailing whitespace of the line starts. */
  contentEnd: number;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09;
}

export function rowLayout(line: Uint8Array): RowLayout {
  let first = 0;
  while (first < line.length && isSpace(line[first])) first++;
  let contentEnd = line.length;
  while (contentEnd > first && isSpace(line[contentEnd - 1])) contentEnd--;
  const pipes: number[] = [];
  for (let i = first; i < contentEnd; i++) {
    if (line[i] === BACKSLASH) { i++; continue; }
    if (line[i] === PIPE) pipes.push(i);
  }
  const leadingPipe = pipes.length > 0 && pipes[0] === first;
  const trailingPipe = pipes.length > 0 && pipes[pipes.length - 1] === contentEnd - 1 && !(leadingPipe && pipes.length === 1);
  const cells: Array<[number, number]> = [];
  let start = leadingPipe ? pipes[0] + 1 : 0;
  for (let p = leadingPipe ? 1 : 0; p < pipes.length; p++) {
    cells.push([start, pipes[p]]);
    start = pipes[p] + 1;
  }
  if (!trailingPipe) cells.push([start, line.length]);
  return { cells, leadingPipe, trailingPipe, lastPipe: pipes.length ? pipes[pipes.length - 1] : -1, contentEnd };
}

const DELIM_CELL = /^\s*:?-+:?\s*$/;

/** Cells of a delimiter row (`| --- | :-: |`), or undefined if the line is not one. */
export function delimiterCells(text: string): number | undefined {
  if (!/-/.test(text) || !/^[\s|:\-]+$/.test(text)) return undefined;
  const layout = rowLayout(Buffer.from(text, 'latin1'));
  const cells = layout.cells.map(([s, e]) => text.slice(s, e));
  if (!layout.leadingPipe && !layout.trailingPipe && cells.length < 2) return undefined;
  return cells.every((c) => DELIM_CELL.test(c)) ? cells.length : undefined;
}

/** Cell texts of a row, trimmed, with `\|` unescaped (lossy decode: for display and matching). */
export function cellTexts(line: Buffer, layout: RowLayout = rowLayout(line)): string[] {
  const out = new Array<string>(layout.cells.length);
  for (let i = 0; i < out.length; i++) {
    const t = line.toString('utf8', layout.cells[i][0], layout.cells[i][1]).trim();
    out[i] = t.includes('\\') ? t.replace(/\\\|/g, '|') : t;
  }
  return out;
}
