// Learning-tracker reader: sections (epics, goals) holding user-story tables and checklists.
// Everything editable carries a Locator so edit.ts can check the line is still what was shown.
import { lineHash } from './lines';
import { ParseIssue } from './errors';
import { scan, Scan } from './scan';
import { cellTexts, delimiterCells, rowLayout } from './table';

export type StoryStatus = 'todo' | 'in-progress' | 'done';
export const STORY_STATUSES: readonly StoryStatus[] = ['todo', 'in-progress', 'done'];

/** Where an editable item lives: file, 1-based line, and a hash of that line's bytes. */
export interface Locator {
  file: string;
  line: number;
  hash: string;
}

export type ColumnRole = 'id' | 'story' | 'goal' | 'tools' | 'outcome' | 'status';

export interface TableColumn {
  /** Header cell text as written (markdown kept). */
  header: string;
  role?: ColumnRole;
}

export interface Story {
  locator: Locator;
  id: string;
  /** The story text (User Story / Story column, else the first column that is not id or status). */
  text: string;
  goal?: string;
  tools?: string;
  outcome?: string;
  status: StoryStatus;
  /** The status cell as written ('' when empty or when the table has no Status column). */
  statusText: string;
  /** All cells as written, in column order (missing cells of ragged rows are absent). */
  cells: string[];
}

export interface StoryTable {
  /** 1-based line of the header row. */
  line: number;
  /** 1-based last line of the table. */
  endLine: number;
  columns: TableColumn[];
  /** Index of the Status column, -1 when the table has none (setStoryStatus adds it). */
  statusColumn: number;
  stories: Story[];
}

export interface ChecklistItem {
  locator: Locator;
  text: string;
  checked: boolean;
  /** 0 for top level, 1 for an item nested under another, ... */
  depth: number;
  /** 1-based line of the parent item, if nested. */
  parentLine?: number;
}

export interface Progress {
  storiesDone: number;
  storiesInProgress: number;
  storiesTotal: number;
  itemsChecked: number;
  itemsTotal: number;
  /** (stories done + items checked) / (stories + items), 0..100, rounded; 0 when empty. */
  percent: number;
}

export type SectionKind = 'epic' | 'goals' | 'section';

export interface TrackerSection {
  title: string;
  level: number;
  /** 1-based line of the heading (0 for content before the first heading). */
  line: number;
  kind: SectionKind;
  /** Epic number when the title says so ("Epic 0.1: ..." -> "0.1"). */
  epicId?: string;
  /** Titles of the enclosing headings, outermost first. */
  path: string[];
  tables: StoryTable[];
  checklist: ChecklistItem[];
  progress: Progress;
}

export interface TrackerModel {
  file: string;
  /** First level-1 heading, if any. */
  title?: string;
  /** Only sections holding a table or a checklist, in document order. */
  sections: TrackerSection[];
  progress: Progress;
  issues: ParseIssue[];
  lineCount: number;
}

const ROLE_HEADERS: Array<[ColumnRole, RegExp]> = [
  ['id', /^(#|id|no|nr|story id|ref|key)$/],
  ['story', /^(user story|story|stories|title|task|item)$/],
  ['goal', /^(goal|goals|objective)$/],
  ['tools', /^(primary tools|tools|tooling|tech|technologies|stack)$/],
  ['outcome', /^(target outcome|outcome|expected outcome|result)$/],
  ['status', /^(status|state|progress)$/],
];

/** Header text to a role: strips bold/code markers, emoji and other non-ASCII, case. */
export function columnRole(header: string): ColumnRole | undefined {
  const norm = header.replace(/\*\*|__|`/g, '').toLowerCase().replace(/[^a-z0-9# ]+/g, ' ').trim().replace(/\s+/g, ' ');
  for (const [role, re] of ROLE_HEADERS) if (re.test(norm)) return role;
  return undefined;
}

// Mojibake forms of the status emoji as they appear in real files (UTF-8 read as cp1252 / MacRoman).
const DONE_MARKS = ['✅', '✔', '☑', '✓', 'âœ…', '‚úÖ', '[x]'];
const DOING_MARKS = ['🔄', '⏳', '🚧', '🟡', 'ðŸ”„', 'üîÑ'];

export function parseStatus(cell: string): StoryStatus {
  const t = cell.replace(/\*\*|__|`|~~/g, '').trim().toLowerCase();
  if (t === '') return 'todo';
  if (DOING_MARKS.some((m) => t.includes(m))) return 'in-progress';
  if (/\b(in[ -]?progress|wip|doing|started|ongoing|active)\b/.test(t)) return 'in-progress';
  if (/\b(not (yet )?(done|started|complete))\b/.test(t)) return 'todo';
  if (DONE_MARKS.some((m) => t.includes(m))) return 'done';
  if (/\b(done|complete|completed|finished|closed)\b/.test(t)) return 'done';
  return 'todo';
}

function emptyProgress(): Progress {
  return { storiesDone: 0, storiesInProgress: 0, storiesTotal: 0, itemsChecked: 0, itemsTotal: 0, percent: 0 };
}

function finish(p: Progress): Progress {
  const total = p.storiesTotal + p.itemsTotal;
  p.percent = total === 0 ? 0 : Math.round(((p.storiesDone + p.itemsChecked) * 100) / total);
  return p;
}

function addProgress(into: Progress, p: Progress): void {
  into.storiesDone += p.storiesDone;
  into.storiesInProgress += p.storiesInProgress;
  into.storiesTotal += p.storiesTotal;
  into.itemsChecked += p.itemsChecked;
  into.itemsTotal += p.itemsTotal;
}

export const CHECK_ITEM = /^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+\[([ xX])\](?:[ \t]+(.*))?$/;

export function parseTracker(bytes: Uint8Array, file: string): TrackerModel {
  return trackerFromScan(scan(bytes), file);
}

export function trackerFromScan(s: Scan, file: string): TrackerModel {
  const { lines, headings } = s;
  const issues: ParseIssue[] = [];
  const sections: TrackerSection[] = [];
  const stack: Array<{ level: number; title: string }> = [];
  let current: TrackerSection = newSection('', 0, 0, []);
  let docTitle: string | undefined;
  let hIdx = 0;
  const seenIds = new Map<string, number>();
  // Open checklist items of the current list: indentation -> item.
  let listStack: Array<{ indent: number; line: number }> = [];

  const flush = (): void => {
    if (current.tables.length || current.checklist.length) {
      const p = current.progress;
      for (const t of current.tables) for (const st of t.stories) {
        p.storiesTotal++;
        if (st.status === 'done') p.storiesDone++;
        else if (st.status === 'in-progress') p.storiesInProgress++;
      }
      for (const it of current.checklist) {
        p.itemsTotal++;
        if (it.checked) p.itemsChecked++;
      }
      finish(p);
      sections.push(current);
    }
  };

  if (s.unclosedFence !== undefined) {
    issues.push({ file, line: s.unclosedFence + 1, endLine: lines.length, severity: 'warning', code: 'unterminated-fence',
      message: 'Code block is never closed; everything after it is read as code' });
  }

  for (let i = 0; i < lines.length; i++) {
    const ln = lines[i];
    if (hIdx < headings.length && headings[hIdx].index === i) {
      const h = headings[hIdx++];
      flush();
      while (stack.length && stack[stack.length - 1].level >= h.level) stack.pop();
      if (h.level === 1 && docTitle === undefined) docTitle = h.title;
      current = newSection(h.title, h.level, i + 1, stack.map((x) => x.title));
      stack.push({ level: h.level, title: h.title });
      listStack = [];
      continue;
    }
    if (ln.code) continue;
    const text = ln.text;

    const m = text.length > 4 && text.includes('[') ? CHECK_ITEM.exec(text) : null;
    if (m) {
      const indent = m[1].replace(/\t/g, '    ').length;
      while (listStack.length && listStack[listStack.length - 1].indent >= indent) listStack.pop();
      const parent = listStack[listStack.length - 1];
      current.checklist.push({
        locator: { file, line: i + 1, hash: lineHash(ln.raw.content) },
        text: (m[3] ?? '').trim(),
        checked: m[2] !== ' ',
        depth: listStack.length,
        parentLine: parent?.line,
      });
      listStack.push({ indent, line: i + 1 });
      continue;
    }
    if (text.trim() !== '' && !/^\s/.test(text) && !/^([-*+]|\d+[.)])\s/.test(text)) listStack = [];

    if (!text.includes('|')) continue;
    const next = lines[i + 1];
    const delim = next && !next.code ? delimiterCells(next.text) : undefined;
    if (delim !== undefined) {
      const headLayout = rowLayout(ln.raw.content);
      const headers = cellTexts(ln.raw.content, headLayout);
      let end = i + 2;
      while (end < lines.length && !lines[end].code && lines[end].text.trim() !== '' && lines[end].text.includes('|')
        && !(hIdx < headings.length && headings[hIdx].index === end)) end++;
      if (headers.length !== delim) {
        issues.push({ file, line: i + 1, endLine: end, severity: 'error', code: 'table-separator-mismatch',
          message: `Table header has ${headers.length} cells but its separator row has ${delim}` });
        i = end - 1;
        continue;
      }
      current.tables.push(readTable(lines, i, end, headers, file, issues, seenIds));
      i = end - 1;
      continue;
    }
    if (/^\s{0,3}\|/.test(text) && next && !next.code && /^\s{0,3}\|/.test(next.text)) {
      let end = i + 1;
      while (end < lines.length && !lines[end].code && /^\s{0,3}\|/.test(lines[end].text)) end++;
      issues.push({ file, line: i + 1, endLine: end, severity: 'error', code: 'table-missing-separator',
        message: 'Table has no separator row (| --- | --- |) under its header, so it is not read as a table' });
      i = end - 1;
    }
  }
  flush();

  const progress = emptyProgress();
  for (const sec of sections) addProgress(progress, sec.progress);
  return { file, title: docTitle, sections, progress: finish(progress), issues, lineCount: lines.length };
}

function newSection(title: string, level: number, line: number, path: string[]): TrackerSection {
  const epic = /\bepic\s+([0-9][\w.]*)/i.exec(title);
  // Goals: the heading says so, or it sits directly under a "Success Metrics"/"Learning Goals" heading.
  const parent = path[path.length - 1] ?? '';
  const goals = /goal|success metric/i.test(title) || /success metric|learning goal/i.test(parent);
  const kind: SectionKind = /\bepic\b/i.test(title) ? 'epic' : goals ? 'goals' : 'section';
  return { title, level, line, kind, epicId: epic?.[1].replace(/[.:]$/, ''), path, tables: [], checklist: [], progress: emptyProgress() };
}

/** The status marks written into the ID cell of a table without a Status column (see markColumn). */
export const STATUS_MARK: Record<StoryStatus, string> = { todo: '', 'in-progress': '🔄', done: '✅' };

/** The cell that carries a status mark when a table has no Status column: the ID, else the story. */
export function markColumn(idCol: number, storyCol: number): number {
  return idCol >= 0 ? idCol : storyCol;
}

/** "3.2.1 ✅" -> { text: '3.2.1', status: 'done' }; a cell without a trailing mark is todo. */
export function splitStatusMark(cell: string): { text: string; status: StoryStatus } {
  const m = /^(.*?)\s*(✅|🔄)\s*$/u.exec(cell);
  if (!m) return { text: cell, status: 'todo' };
  return { text: m[1], status: m[2] === '✅' ? 'done' : 'in-progress' };
}

/** Reads one table (header at `head`, separator at head+1, rows up to `end`); used by edit.ts too. */
export function readTable(
  lines: Scan['lines'], head: number, end: number, headers: string[], file: string,
  issues: ParseIssue[], seenIds: Map<string, number>,
): StoryTable {
  const columns: TableColumn[] = headers.map((h) => ({ header: h, role: columnRole(h) }));
  const col = (role: ColumnRole): number => columns.findIndex((c) => c.role === role);
  const idCol = col('id');
  const statusCol = col('status');
  let storyCol = col('story');
  if (storyCol < 0) storyCol = columns.findIndex((c) => c.role !== 'id' && c.role !== 'status');
  const goalCol = col('goal');
  const toolsCol = col('tools');
  const outcomeCol = col('outcome');
  const stories: Story[] = [];
  for (let r = head + 2; r < end; r++) {
    const raw = lines[r].raw.content;
    const cells = cellTexts(raw);
    if (cells.length !== headers.length) {
      issues.push({ file, line: r + 1, endLine: r + 1, severity: 'warning', code: 'ragged-row',
        message: `Row has ${cells.length} cells, the header has ${headers.length}` });
    }
    const get = (c: number): string | undefined => (c >= 0 && c < headers.length ? cells[c] ?? '' : undefined);
    // A table without a Status column may carry the status as a mark after the story ID ("3.2.1 ✅").
    const marked = statusCol < 0 ? splitStatusMark(get(markColumn(idCol, storyCol)) ?? '') : undefined;
    const id = idCol >= 0 && marked ? marked.text : get(idCol) ?? '';
    if (id !== '') {
      const first = seenIds.get(id);
      if (first !== undefined) {
        issues.push({ file, line: r + 1, endLine: r + 1, severity: 'warning', code: 'duplicate-story-id',
          message: `Story ID ${id} is also used on line ${first}` });
      } else seenIds.set(id, r + 1);
    }
    const statusText = get(statusCol) ?? '';
    stories.push({
      locator: { file, line: r + 1, hash: lineHash(raw) },
      id,
      text: get(storyCol) ?? '',
      goal: get(goalCol),
      tools: get(toolsCol),
      outcome: get(outcomeCol),
      status: marked ? marked.status : parseStatus(statusText),
      statusText,
      cells: cells.slice(0, headers.length),
    });
  }
  return { line: head + 1, endLine: end, columns, statusColumn: statusCol, stories };
}

/** Every story and checklist item of a model, for lookups by line. */
export function editableItems(model: TrackerModel): Array<{ kind: 'story'; story: Story; table: StoryTable } | { kind: 'check'; item: ChecklistItem }> {
  const out: Array<{ kind: 'story'; story: Story; table: StoryTable } | { kind: 'check'; item: ChecklistItem }> = [];
  for (const s of model.sections) {
    for (const t of s.tables) for (const story of t.stories) out.push({ kind: 'story', story, table: t });
    for (const item of s.checklist) out.push({ kind: 'check', item });
  }
  return out;
}
