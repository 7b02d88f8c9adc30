// What the user measures, read from their own files: "Success Metrics" sections (checklists under
// sub-headings, or bold labels followed by bullets), checklist progress per section, and the
// durations a document states (estimates and actuals). Nothing is dropped: a line whose shape is
// not understood stays in its group as text.
import { scan, type Scan } from './scan';
import { CHECK_ITEM } from './tracker';
import { parseDuration, type Duration } from './durations';

export interface MetricItem {
  /** 1-based line. */
  line: number;
  /** Text as written, list marker and checkbox removed (markdown kept). */
  text: string;
  /** 'check': a `- [ ]` item; 'bullet': a plain list item (a metric without a tick box); 'text': anything else. */
  kind: 'check' | 'bullet' | 'text';
  checked?: boolean;
}

export interface MetricGroup {
  /** Sub-heading or bold label ("Technical Mastery", "Learning Metrics"); '' for items directly under the section. */
  title: string;
  line: number;
  items: MetricItem[];
  checked: number;
  /** Checkbox items only; bullets are metrics the user tracks without a box. */
  checkable: number;
}

export interface MetricSection {
  file: string;
  /** Heading as written. */
  title: string;
  line: number;
  groups: MetricGroup[];
  checked: number;
  checkable: number;
  /** Percent of checkable items checked, 0 when none. */
  percent: number;
}

/** Checklist progress of one heading's own lines (every section with at least one `- [ ]`). */
export interface ChecklistProgress {
  file: string;
  title: string;
  line: number;
  /** Titles of the enclosing headings, outermost first. */
  path: string[];
  checked: number;
  total: number;
  percent: number;
}

export type DurationKind = 'estimate' | 'actual' | 'duration';

export interface DurationStatement {
  file: string;
  line: number;
  /** The label as written ("Duration", "Estimated without AI assistance", "Actual time with Claude Code"). */
  label: string;
  kind: DurationKind;
  duration: Duration;
  /** Heading the statement sits under. */
  section: string;
}

export interface MetricsDoc {
  file: string;
  title?: string;
  metrics: MetricSection[];
  checklists: ChecklistProgress[];
  durations: DurationStatement[];
  /** "**Bottom Line**: ..." and similar one-line conclusions, kept as text. */
  statements: Array<{ label: string; text: string; line: number }>;
}

const METRIC_HEADING = /success\s+metrics?|success\s+criteria/i;
const BULLET = /^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(.*?)\s*$/;
// "**Label**:" / "**Label:**" alone on a line (a group title), or followed by a value.
const BOLD_FIELD = /^\s*\*\*([^*]+?)\*\*\s*:\s*(.*?)\s*$|^\s*\*\*([^*]+?):\*\*\s*(.*?)\s*$/;
const DURATION_LABEL = /duration|time|estimat|actual|spent|took|effort/i;
const STATEMENT_LABEL = /bottom line|key achievement|conclusion|outcome/i;

function pct(a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a * 100) / b);
}

export function durationKind(label: string): DurationKind {
  if (/actual|spent|took|real/i.test(label)) return 'actual';
  if (/estimat|planned|expected|budget|target/i.test(label)) return 'estimate';
  return 'duration';
}

function stripMarks(s: string): string {
  return s.replace(/\*\*|__/g, '').trim();
}

export function parseMetrics(bytes: Uint8Array, file: string): MetricsDoc {
  return metricsFromScan(scan(bytes), file);
}

export function metricsFromScan(s: Scan, file: string): MetricsDoc {
  const { lines, headings } = s;
  const metrics: MetricSection[] = [];
  const checklists: ChecklistProgress[] = [];
  const durations: DurationStatement[] = [];
  const statements: MetricsDoc['statements'] = [];
  const title = headings.find((h) => h.level === 1)?.title;

  // Sections: each heading owns lines up to the next heading (any level) for checklists and
  // durations; a Success Metrics heading owns everything up to the next heading of its level or above.
  const stack: Array<{ level: number; title: string }> = [];
  for (let k = 0; k <= headings.length; k++) {
    const start = k === 0 ? 0 : headings[k - 1].index + 1;
    const end = k < headings.length ? headings[k].index : lines.length;
    const here = k === 0 ? undefined : headings[k - 1];
    if (here) {
      while (stack.length && stack[stack.length - 1].level >= here.level) stack.pop();
    }
    const sectionTitle = here?.title ?? '';
    let checked = 0;
    let total = 0;
    for (let i = start; i < end; i++) {
      const ln = lines[i];
      if (ln.code) continue;
      const c = ln.text.includes('[') ? CHECK_ITEM.exec(ln.text) : null;
      if (c) { total++; if (c[2] !== ' ') checked++; continue; }
      const f = BOLD_FIELD.exec(ln.text);
      if (!f) continue;
      const label = stripMarks(f[1] ?? f[3]);
      const value = (f[2] ?? f[4] ?? '').trim();
      if (value === '') continue;
      if (DURATION_LABEL.test(label)) {
        durations.push({ file, line: i + 1, label, kind: durationKind(label), duration: parseDuration(stripMarks(value)), section: sectionTitle });
      } else if (STATEMENT_LABEL.test(label)) {
        statements.push({ label, text: value, line: i + 1 });
      }
    }
    if (here && total > 0) {
      checklists.push({ file, title: here.title, line: here.index + 1, path: stack.map((x) => x.title), checked, total, percent: pct(checked, total) });
    }
    if (here) stack.push({ level: here.level, title: here.title });
  }

  for (let k = 0; k < headings.length; k++) {
    const h = headings[k];
    if (!METRIC_HEADING.test(h.title)) continue;
    let end = lines.length;
    for (let j = k + 1; j < headings.length; j++) if (headings[j].level <= h.level) { end = headings[j].index; break; }
    metrics.push(readMetricSection(s, file, h.index, end));
  }
  return { file, title, metrics, checklists, durations, statements };
}

function readMetricSection(s: Scan, file: string, head: number, end: number): MetricSection {
  const groups: MetricGroup[] = [];
  let group: MetricGroup = { title: '', line: head + 1, items: [], checked: 0, checkable: 0 };
  const push = (): void => { if (group.items.length || group.title) groups.push(group); };
  const subHeadings = new Map(s.headings.filter((x) => x.index > head && x.index < end).map((x) => [x.index, x.title]));
  for (let i = head + 1; i < end; i++) {
    const ln = s.lines[i];
    const text = ln.text;
    const sub = subHeadings.get(i);
    if (sub !== undefined) {
      push();
      group = { title: sub, line: i + 1, items: [], checked: 0, checkable: 0 };
      continue;
    }
    if (text.trim() === '' || (!ln.code && /^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(text))) continue;
    if (ln.code) { group.items.push({ line: i + 1, text, kind: 'text' }); continue; }
    const c = text.includes('[') ? CHECK_ITEM.exec(text) : null;
    if (c) {
      const checked = c[2] !== ' ';
      group.items.push({ line: i + 1, text: (c[3] ?? '').trim(), kind: 'check', checked });
      group.checkable++;
      if (checked) group.checked++;
      continue;
    }
    const f = BOLD_FIELD.exec(text);
    if (f && (f[2] ?? f[4] ?? '') === '') {
      push();
      group = { title: stripMarks(f[1] ?? f[3]), line: i + 1, items: [], checked: 0, checkable: 0 };
      continue;
    }
    const b = BULLET.exec(text);
    if (b) { group.items.push({ line: i + 1, text: b[2], kind: 'bullet' }); continue; }
    // A shape we do not know (a paragraph, a table row, a label with a value): kept as text.
    group.items.push({ line: i + 1, text: text.trim(), kind: 'text' });
  }
  push();
  let checked = 0;
  let checkable = 0;
  for (const g of groups) { checked += g.checked; checkable += g.checkable; }
  return { file, title: s.headings.find((x) => x.index === head)?.title ?? '', line: head + 1, groups, checked, checkable, percent: pct(checked, checkable) };
}
