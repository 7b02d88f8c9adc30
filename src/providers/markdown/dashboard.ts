// The learning dashboard's numbers, from the files alone (no vscode): phases with estimated and
// actual time, success metrics and checklists, lab activity per week, and the links between
// activity entries ("story 0.1.3") and tracker stories. The panel adds display fixes only.
import type {
  ActivitySummary, ChecklistView, DashboardState, DurationView, HistoryView, MetricSectionView, OperationView, PhaseSummary,
  StoryLinkView, WeekView,
} from '../../protocol/dashboard';
import { parseActivity, type ActivityEntry } from './activity';
import { parseEntry, parseJournalReadme, type JournalReadme } from './journal';
import { splitLines } from './lines';
import { parseMetrics, type DurationStatement, type MetricsDoc } from './metrics';
import { parseTracker } from './tracker';
import type { TrackerHistory } from './history';

export interface SourceFile { key: string; label: string; bytes: Uint8Array; mtimeMs?: number }

export interface DashboardInput {
  /** The journal folder's markdown files (README, retrospectives, entries), activity log excluded. */
  journal: SourceFile[];
  /** Tracker files (the tracker globs), learning-goals included. */
  trackers: SourceFile[];
  activity?: SourceFile;
  history: TrackerHistory;
  now?: Date;
}

const STORY_REF = /\bstor(?:y|ies)\s+#?(\d+(?:\.\d+)+)/gi;

/** Story IDs an activity entry names ("story 0.1.3", "stories 0.1.3"). */
export function storyRefs(text: string): string[] {
  return [...new Set([...text.matchAll(STORY_REF)].map((m) => m[1]))];
}

/** Monday (UTC) of the ISO week holding `iso`. */
export function weekOf(iso: string): string {
  // Thousands of entries fall on a few hundred days: compute each day's week once.
  const day = iso.slice(0, 10);
  let w = weekMemo.get(day);
  if (w === undefined) {
    w = mondayOf(day);
    if (weekMemo.size < 100_000) weekMemo.set(day, w);
  }
  return w;
}
const weekMemo = new Map<string, string>();

function mondayOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - back));
  return monday.toISOString().slice(0, 10);
}

function operation(e: ActivityEntry): OperationView {
  const o: OperationView = { when: e.when, what: e.what, result: e.result, line: e.line };
  if (e.durationMs !== undefined) o.durationMs = e.durationMs;
  if (e.cluster !== undefined) o.cluster = e.cluster;
  if (e.target !== undefined) o.target = e.target;
  return o;
}

const resultKind = (r: string): 'ok' | 'failed' | 'cancelled' | 'other' =>
  /^ok\b/i.test(r) ? 'ok' : /^fail/i.test(r) ? 'failed' : /^cancel/i.test(r) ? 'cancelled' : 'other';

export function activityWeeks(entries: readonly ActivityEntry[]): WeekView[] {
  const weeks = new Map<string, WeekView>();
  for (const e of entries) {
    const week = weekOf(e.when);
    const w = weeks.get(week) ?? { week, operations: 0, ok: 0, failed: 0, cancelled: 0, durationMs: 0 };
    w.operations++;
    const k = resultKind(e.result);
    if (k !== 'other') w[k]++;
    w.durationMs += e.durationMs ?? 0;
    weeks.set(week, w);
  }
  return [...weeks.values()].sort((a, b) => a.week.localeCompare(b.week));
}

/** Entries plus the lines that look like list items but are not entries (broken by hand edits). */
export function readActivity(bytes: Uint8Array): { entries: ActivityEntry[]; unreadLines: number[]; texts: string[] } {
  const entries = parseActivity(bytes);
  const read = new Set(entries.map((e) => e.line));
  const unreadLines: number[] = [];
  const lines = splitLines(bytes);
  const texts = lines.map((l) => l.content.toString('utf8'));
  for (let i = 0; i < lines.length; i++) {
    if (read.has(i + 1)) continue;
    if (/^\s*[-*]\s+\S/.test(texts[i])) unreadLines.push(i + 1);
  }
  return { entries, unreadLines, texts };
}

const DATE = /(\d{4}-\d{2}-\d{2})/g;

/** A phase's date range from its own fields ("Dates: 2025-06-01 – 2025-06-14", "Started", "Completed"). */
function phaseRange(fields: Record<string, string>): { from?: string; to?: string } {
  const r: { from?: string; to?: string } = {};
  for (const [k, v] of Object.entries(fields)) {
    const ds = [...v.matchAll(DATE)].map((m) => m[1]);
    if (!ds.length) continue;
    if (/^(dates?|period|timeline|when)$/.test(k)) { r.from = ds[0]; if (ds[1]) r.to = ds[1]; }
    else if (/^(start|started|began|from)/.test(k)) r.from = ds[0];
    else if (/^(end|ended|completed|finished|done|to)\b/.test(k)) r.to = ds[ds.length - 1];
  }
  return r;
}

function durationView(d: DurationStatement, key: string): DurationView {
  const v: DurationView = { text: d.duration.text, label: d.label, kind: d.kind, key, line: d.line };
  if (d.duration.minHours !== undefined) v.minHours = d.duration.minHours;
  if (d.duration.maxHours !== undefined) v.maxHours = d.duration.maxHours;
  if (d.duration.approximate) v.approximate = true;
  return v;
}

function basename(p: string): string {
  return p.replace(/\\/g, '/').split('/').pop() ?? p;
}

/** The retrospective file of phase `n`: the README's link, else a file named or titled so. */
function retrospectiveFor(n: string, href: string | undefined, docs: Map<string, { file: SourceFile; doc: MetricsDoc }>): { file: SourceFile; doc: MetricsDoc } | undefined {
  const want = href ? basename(href.replace(/#.*$/, '')).toLowerCase() : undefined;
  for (const d of docs.values()) if (want && basename(d.file.label).toLowerCase() === want) return d;
  const re = new RegExp(`phase[-_ ]?${n.replace('.', '\\.')}(?!\\d)`, 'i');
  for (const d of docs.values()) if (re.test(basename(d.file.label)) && /retro/i.test(d.file.label)) return d;
  for (const d of docs.values()) if (d.doc.title && re.test(d.doc.title) && /retro|complete/i.test(d.doc.title + d.file.label)) return d;
  return undefined;
}

const inRange = (iso: string, from?: string, to?: string): boolean => {
  const day = iso.slice(0, 10);
  return (!from || day >= from) && (!to || day <= to);
};

export function buildDashboard(input: DashboardInput): DashboardState {
  const problems: string[] = [];
  const docs = new Map<string, { file: SourceFile; doc: MetricsDoc }>();
  let readme: { file: SourceFile; model: JournalReadme } | undefined;
  for (const f of [...input.journal, ...input.trackers]) {
    if (docs.has(f.key)) continue;
    docs.set(f.key, { file: f, doc: parseMetrics(f.bytes, f.key) });
    if (!readme && input.journal.includes(f) && /^readme\.(md|markdown)$/i.test(basename(f.label))) readme = { file: f, model: parseJournalReadme(f.bytes, f.key) };
  }

  // Activity.
  let entries: ActivityEntry[] = [];
  let texts: string[] = [];
  const activity: ActivitySummary = { entries: 0, unreadLines: [], durationMs: 0 };
  if (input.activity) {
    const r = readActivity(input.activity.bytes);
    entries = r.entries;
    texts = r.texts;
    activity.key = input.activity.key;
    activity.entries = entries.length;
    activity.unreadLines = r.unreadLines;
    activity.durationMs = entries.reduce((s, e) => s + (e.durationMs ?? 0), 0);
    if (r.unreadLines.length) problems.push(`${r.unreadLines.length} line(s) of ${input.activity.label} could not be read as activity entries (line ${r.unreadLines.slice(0, 5).join(', ')}${r.unreadLines.length > 5 ? ', …' : ''}).`);
  }

  // Stories now, with the operations that name them.
  const byStory = new Map<string, OperationView[]>();
  for (const e of entries) {
    // The whole line: the story may be named in the description or linked after it (` · story 0.1.3`).
    for (const id of storyRefs(texts[e.line - 1] ?? e.what)) {
      const list = byStory.get(id) ?? [];
      list.push(operation(e));
      byStory.set(id, list);
    }
  }
  const stories: StoryLinkView[] = [];
  for (const f of input.trackers) {
    const model = parseTracker(f.bytes, f.key);
    for (const s of model.sections) for (const t of s.tables) for (const st of t.stories) {
      const ops = st.id ? byStory.get(st.id.trim()) ?? [] : [];
      stories.push({
        id: st.id, text: st.text, epic: s.epicId ? `Epic ${s.epicId}` : s.title, status: st.status, key: f.key, line: st.locator.line,
        operations: ops, timeMs: ops.reduce((n, o) => n + (o.durationMs ?? 0), 0),
      });
    }
  }

  // Phases: the README's, with estimates from it and from the phase's retrospective.
  const phases: PhaseSummary[] = [];
  let prevTo: string | undefined;
  for (const p of readme?.model.phases ?? []) {
    const estimates: DurationView[] = [];
    const actuals: DurationView[] = [];
    const readmeDoc = docs.get(readme!.file.key)!.doc;
    for (const d of readmeDoc.durations) {
      if (d.line <= p.line) continue;
      const next = readme!.model.phases.find((q) => q.line > p.line);
      if (next && d.line >= next.line) continue;
      // A README phase's "Duration" is the plan written in the overview: an estimate.
      (d.kind === 'actual' ? actuals : estimates).push(durationView(d, readme!.file.key));
    }
    const retro = retrospectiveFor(p.number, p.retrospective, docs);
    let retroDate: string | undefined;
    if (retro) {
      for (const d of retro.doc.durations) (d.kind === 'actual' ? actuals : estimates).push(durationView(d, retro.file.key));
      // Only a date the file states (name or content): a modification time says when it was last edited.
      retroDate = parseEntry(retro.file.bytes, retro.file.label).date;
    }
    const range = phaseRange(p.fields);
    if (!range.to && retroDate && p.status === 'complete') range.to = retroDate;
    if (!range.from && prevTo && (range.to || p.status !== 'planned')) range.from = prevTo;
    if (range.to) prevTo = range.to;
    const ops = range.from || range.to ? entries.filter((e) => inRange(e.when, range.from, range.to)) : [];
    const storyIds = new Set<string>();
    for (const o of ops) for (const id of storyRefs(texts[o.line - 1] ?? o.what)) storyIds.add(id);
    if (input.history.available && (range.from || range.to)) {
      let before: Record<string, string> = {};
      for (const pt of input.history.points) {
        if (!inRange(pt.date, range.from, range.to)) { if (!range.from || pt.date.slice(0, 10) < range.from) before = pt.statuses; continue; }
        for (const [k, st] of Object.entries(pt.statuses)) if (st !== before[k]) storyIds.add(k);
        before = pt.statuses;
      }
    }
    const summary: PhaseSummary = {
      number: p.number, name: p.name, status: p.status, estimates, actuals, stories: [...storyIds].sort(),
      operations: ops.length, operationMs: ops.reduce((n, e) => n + (e.durationMs ?? 0), 0),
    };
    if (range.from) summary.from = range.from;
    if (range.to) summary.to = range.to;
    phases.push(summary);
  }

  const metrics: MetricSectionView[] = [];
  const checklists: ChecklistView[] = [];
  const statements: DashboardState['statements'] = [];
  for (const { file, doc } of docs.values()) {
    for (const m of doc.metrics) {
      metrics.push({
        key: file.key, label: file.label, title: m.title, line: m.line, checked: m.checked, checkable: m.checkable, percent: m.percent,
        groups: m.groups.map((g) => ({ title: g.title, line: g.line, checked: g.checked, checkable: g.checkable, items: g.items.map((i) => ({ ...i })) })),
      });
    }
    for (const c of doc.checklists) checklists.push({ key: file.key, label: file.label, title: c.title, line: c.line, checked: c.checked, total: c.total, percent: c.percent });
    for (const s of doc.statements) statements.push({ key: file.key, label: s.label, text: s.text, line: s.line });
  }

  return {
    generatedAt: (input.now ?? new Date()).toISOString(),
    history: historyView(input.history),
    phases, metrics, checklists,
    weeks: activityWeeks(entries),
    stories, activity, statements, problems,
  };
}

export function historyView(h: TrackerHistory): HistoryView {
  if (!h.available) return { available: false, reason: h.reason, epics: [], points: [] };
  const keys = new Set<string>();
  for (const p of h.points) for (const k of Object.keys(p.epics)) keys.add(k);
  return {
    available: true,
    epics: [...keys].map((key) => ({ key, title: h.epicTitles[key] ?? key })),
    points: h.points.map((p) => ({ commit: p.commit, date: p.date, subject: p.subject, overall: p.overall, epics: p.epics })),
  };
}
