// Lossless edits: each operation re-parses the current bytes, checks the locator still names the
// line the user saw, and rewrites only that line (or, when adding a Status column, only that
// table's lines). Every other byte, including line endings and invalid UTF-8, is copied as is.
import { RawLine, joinLines, lineHash, toBuffer } from './lines';
import { StaleEditError, UnparseableRegionError } from './errors';
import { scan } from './scan';
import { cellTexts, delimiterCells, rowLayout, RowLayout } from './table';
import {
  CHECK_ITEM, ChecklistItem, editableItems, Locator, markColumn, parseStatus, readTable, splitStatusMark, STATUS_MARK, Story, StoryStatus, StoryTable, trackerFromScan, TrackerModel,
} from './tracker';

/** A change to a file's bytes; must throw StaleEditError/UnparseableRegionError when its target is gone. */
export type Edit = (bytes: Buffer) => Uint8Array;

export const DEFAULT_STATUS_TEXT: Record<StoryStatus, string> = { todo: 'Todo', 'in-progress': 'In progress', done: 'Done' };

interface Located<T> { model: TrackerModel; lines: RawLine[]; target: T }

function locate(doc: Uint8Array, locator: Locator, kind: 'story'): Located<{ story: Story; table: StoryTable }>;
function locate(doc: Uint8Array, locator: Locator, kind: 'check'): Located<{ item: ChecklistItem }>;
function locate(doc: Uint8Array, locator: Locator, kind: 'story' | 'check'): Located<unknown> {
  const s = scan(doc);
  const model = trackerFromScan(s, locator.file);
  const lines = s.lines.map((l) => l.raw);
  const items = editableItems(model).filter((it) => it.kind === kind);
  const lineOf = (it: (typeof items)[number]): Locator => (it.kind === 'story' ? it.story.locator : it.item.locator);
  let found = items.find((it) => lineOf(it).line === locator.line && lineOf(it).hash === locator.hash);
  if (!found) {
    // The line may have moved (lines added above it): accept it only if exactly one line matches.
    const same = items.filter((it) => lineOf(it).hash === locator.hash);
    if (same.length === 1) found = same[0];
  }
  if (!found) {
    const broken = model.issues.find((i) => i.severity === 'error' && locator.line >= i.line && locator.line <= i.endLine);
    if (broken) throw new UnparseableRegionError(locator.file, broken);
    const what = kind === 'story' ? 'story row' : 'checklist item';
    const now = lines[locator.line - 1];
    throw new StaleEditError(locator.file, locator.line, now && lineHash(now.content) === locator.hash
      ? `line is no longer a ${what}` : `the ${what} shown is no longer on this line`);
  }
  return { model, lines, target: found };
}

/** The full-parse lookup, with the fast path first; exported for the equivalence test. */
export function locateStory(doc: Uint8Array, locator: Locator, opts: { fast?: boolean } = {}): { lines: RawLine[]; target: { story: Story; table: StoryTable } } {
  const fast = opts.fast !== false ? locateStoryFast(doc, locator) : undefined;
  if (fast) return { lines: fast.lines, target: { story: fast.story, table: fast.table } };
  const full = locate(doc, locator, 'story');
  return { lines: full.lines, target: full.target };
}

function replaceLine(lines: RawLine[], index: number, content: Buffer): void {
  lines[index] = { content, eol: lines[index].eol };
}

/**
 * Fast path for story edits: when the locator's line is where it was, read only the block of pipe
 * lines around it. It agrees with the full parse because a table is exactly such a block (a line
 * without '|', a blank line, a heading or a fence ends it). Returns undefined when in doubt.
 */
function locateStoryFast(doc: Uint8Array, locator: Locator): { lines: RawLine[]; story: Story; table: StoryTable } | undefined {
  const s = scan(doc);
  const headings = new Set(s.headings.map((h) => h.index));
  const row = (k: number): boolean => {
    const l = s.lines[k];
    return l !== undefined && !l.code && !headings.has(k) && l.text.includes('|') && l.text.trim() !== '';
  };
  const i = locator.line - 1;
  if (!row(i) || lineHash(s.lines[i].raw.content) !== locator.hash) return undefined;
  let top = i;
  while (top > 0 && row(top - 1)) top--;
  let end = i + 1;
  while (end < s.lines.length && row(end)) end++;
  if (i < top + 2 || CHECK_ITEM.test(s.lines[top].text)) return undefined;
  const headers = cellTexts(s.lines[top].raw.content);
  if (delimiterCells(s.lines[top + 1].text) !== headers.length) return undefined;
  const table = readTable(s.lines, top, end, headers, locator.file, [], new Map());
  const story = table.stories.find((st) => st.locator.line === locator.line);
  return story ? { lines: s.lines.map((l) => l.raw), story, table } : undefined;
}

/** Sets a story's status, adding a Status column to its table on first use. Returns the new bytes. */
/**
 * How a status is recorded in a table that has no Status column: 'column' adds one (the header,
 * separator and every row of that table change), 'mark' writes ✅ / 🔄 after the story's ID (only
 * that one cell changes). Tables that have a Status column always use it.
 */
export type StatusRecording = 'column' | 'mark';

export function setStoryStatus(doc: Uint8Array, locator: Locator, status: StoryStatus, recording: StatusRecording = 'column'): Buffer {
  const { lines, target: { story, table } } = locateStory(doc, locator);
  if (table.statusColumn < 0 && recording === 'mark') {
    if (story.status === status) return toBuffer(doc);
    const col = markColumn(table.columns.findIndex((c) => c.role === 'id'), storyColumn(table));
    const row = story.locator.line - 1;
    const cell = cellTexts(lines[row].content)[col] ?? '';
    const { text } = splitStatusMark(cell);
    replaceLine(lines, row, setCell(lines[row].content, col, STATUS_MARK[status] ? `${text} ${STATUS_MARK[status]}` : text));
    return joinLines(lines);
  }
  if (story.status === status && (table.statusColumn >= 0 || status === 'todo')) return toBuffer(doc);
  let col = table.statusColumn;
  const headIdx = table.line - 1;
  if (col < 0) {
    col = table.columns.length;
    const bold = table.columns.filter((c) => /^\*\*.*\*\*$/.test(c.header)).length * 2 > table.columns.length;
    replaceLine(lines, headIdx, insertCell(lines[headIdx].content, col, bold ? '**Status**' : 'Status'));
    replaceLine(lines, headIdx + 1, insertCell(lines[headIdx + 1].content, col, '---'));
    for (let r = headIdx + 2; r < table.endLine; r++) replaceLine(lines, r, insertCell(lines[r].content, col, ''));
  }
  const row = story.locator.line - 1;
  replaceLine(lines, row, setCell(lines[row].content, col, statusText(table, status)));
  return joinLines(lines);
}

/**
 * Fast path for checkbox edits: a checklist line never belongs to a table or a broken region
 * unless it holds a '|', so only fences matter and the full model (every table cell) is not needed.
 * Returns undefined when in doubt; the caller then uses the full model.
 */
function locateCheckFast(doc: Uint8Array, locator: Locator): { lines: RawLine[]; index: number; checked: boolean } | undefined {
  const s = scan(doc);
  const ok = (i: number): RegExpExecArray | null => {
    const l = s.lines[i];
    return l && !l.code && !l.text.includes('|') ? CHECK_ITEM.exec(l.text) : null;
  };
  let index = -1;
  let m = ok(locator.line - 1);
  if (m && lineHash(s.lines[locator.line - 1].raw.content) === locator.hash) index = locator.line - 1;
  else {
    for (let i = 0; i < s.lines.length; i++) {
      const mi = s.lines[i].text.includes('[') ? ok(i) : null;
      if (mi && lineHash(s.lines[i].raw.content) === locator.hash) {
        if (index >= 0) return undefined;
        index = i;
        m = mi;
      }
    }
  }
  if (index < 0 || !m) return undefined;
  return { lines: s.lines.map((l) => l.raw), index, checked: m[2] !== ' ' };
}

/** Checks or unchecks a checklist item. Returns the new bytes (the same bytes if already so). */
export function toggleChecklist(doc: Uint8Array, locator: Locator, checked: boolean): Buffer {
  const fast = locateCheckFast(doc, locator);
  let lines: RawLine[];
  let idx: number;
  let current: boolean;
  if (fast) ({ lines, index: idx, checked: current } = fast);
  else {
    const full = locate(doc, locator, 'check');
    lines = full.lines;
    idx = full.target.item.locator.line - 1;
    current = full.target.item.checked;
  }
  if (current === checked) return toBuffer(doc);
  const content = lines[idx].content;
  const at = checkboxOffset(content);
  if (at < 0) throw new StaleEditError(locator.file, locator.line, 'checkbox not found on the line');
  // Lines are views into `doc`: flip the one byte in a copy instead of re-joining every line.
  const src = toBuffer(doc);
  const out = Buffer.from(src);
  out[content.byteOffset - src.byteOffset + at] = checked ? 0x78 /* x */ : 0x20;
  return out;
}

/** Edit functions for editFile: they carry the locator and validate it against the bytes given. */
export function storyStatusEdit(locator: Locator, status: StoryStatus, recording: StatusRecording = 'column'): Edit {
  return (bytes) => setStoryStatus(bytes, locator, status, recording);
}

/** The story column as readTable picks it: the Story column, else the first that is neither ID nor Status. */
function storyColumn(table: StoryTable): number {
  const c = table.columns.findIndex((x) => x.role === 'story');
  return c >= 0 ? c : table.columns.findIndex((x) => x.role !== 'id' && x.role !== 'status');
}
export function checklistEdit(locator: Locator, checked: boolean): Edit {
  return (bytes) => toggleChecklist(bytes, locator, checked);
}

/** Byte offset of the state character inside `[ ]` of a list item line, -1 if none. */
export function checkboxOffset(line: Uint8Array): number {
  let i = 0;
  while (i < line.length && (line[i] === 0x20 || line[i] === 0x09)) i++;
  if (line[i] === 0x2d || line[i] === 0x2a || line[i] === 0x2b) i++;
  else {
    const d = i;
    while (i < line.length && line[i] >= 0x30 && line[i] <= 0x39) i++;
    if (i === d || (line[i] !== 0x2e && line[i] !== 0x29)) return -1;
    i++;
  }
  const sp = i;
  while (i < line.length && (line[i] === 0x20 || line[i] === 0x09)) i++;
  if (i === sp || line[i] !== 0x5b || line[i + 2] !== 0x5d) return -1;
  return i + 1;
}

function statusText(table: StoryTable, status: StoryStatus): string {
  // Reuse the table's own spelling for this status ("✅ Done", "Complete", ...) when it has one.
  for (const s of table.stories) {
    if (s.statusText !== '' && !s.statusText.includes('|') && !s.statusText.includes('\uFFFD') && parseStatus(s.statusText) === status) return s.statusText;
  }
  return DEFAULT_STATUS_TEXT[status];
}

function codePoints(b: Buffer): number {
  // Counts UTF-8 lead bytes (and invalid bytes) as one column each: good enough for padding.
  let n = 0;
  for (const x of b) if ((x & 0xc0) !== 0x80) n++;
  return n;
}

/** Replaces cell `col` of a row, keeping its leading space and, where it fits, its padded width. */
export function setCell(line: Buffer, col: number, text: string, layout: RowLayout = rowLayout(line)): Buffer {
  const value = Buffer.from(text.replace(/\|/g, '\\|'));
  if (col < layout.cells.length) {
    const [s, e] = layout.cells[col];
    const cell = line.subarray(s, e);
    let lead = 0;
    while (lead < cell.length && (cell[lead] === 0x20 || cell[lead] === 0x09)) lead++;
    let trail = 0;
    while (trail < cell.length - lead && (cell[cell.length - 1 - trail] === 0x20 || cell[cell.length - 1 - trail] === 0x09)) trail++;
    const isLastOpen = col === layout.cells.length - 1 && !layout.trailingPipe;
    let leadBytes = cell.subarray(0, lead);
    if (lead === cell.length && lead > 0) { leadBytes = cell.subarray(0, 1); trail = Math.max(1, lead - 1); }
    let tail: Buffer;
    if (isLastOpen) tail = cell.subarray(cell.length - trail);
    else if (trail === 0) tail = Buffer.alloc(0);
    else {
      const width = codePoints(cell) - leadBytes.length;
      tail = Buffer.alloc(Math.max(1, width - codePoints(value)), 0x20);
    }
    return Buffer.concat([line.subarray(0, s), leadBytes, value, tail, line.subarray(e)]);
  }
  const missing = col - layout.cells.length;
  if (layout.trailingPipe) {
    const ins = Buffer.from('  |'.repeat(missing) + ' ');
    return Buffer.concat([line.subarray(0, layout.lastPipe + 1), ins, value, Buffer.from(' |'), line.subarray(layout.lastPipe + 1)]);
  }
  const ins = Buffer.from(' | '.repeat(missing) + ' | ');
  return Buffer.concat([line.subarray(0, layout.contentEnd), ins, value, line.subarray(layout.contentEnd)]);
}

/** Inserts a new cell at column `col` (only when the row reaches that column; short rows are left alone). */
export function insertCell(line: Buffer, col: number, text: string, layout: RowLayout = rowLayout(line)): Buffer {
  if (col > layout.cells.length) return line;
  // Spacing style from an inner cell (the first cell of a row without outer pipes starts flush).
  const probe = layout.cells[layout.leadingPipe ? 0 : 1] ?? layout.cells[0];
  const sp = probe && probe[1] > probe[0] && line[probe[0]] === 0x20 ? ' ' : '';
  if (col < layout.cells.length) {
    const at = layout.cells[col][0];
    return Buffer.concat([line.subarray(0, at), Buffer.from(`${sp}${text}${sp}|`), line.subarray(at)]);
  }
  if (layout.trailingPipe) {
    const at = layout.lastPipe + 1;
    return Buffer.concat([line.subarray(0, at), Buffer.from(`${sp}${text}${sp}|`), line.subarray(at)]);
  }
  const at = layout.contentEnd;
  return Buffer.concat([line.subarray(0, at), Buffer.from(`${sp}|${sp}${text}`), line.subarray(at)]);
}
