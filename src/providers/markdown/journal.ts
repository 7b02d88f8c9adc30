// Journal reader: the README's phases and the entries (other markdown files in the folder), plus
// a plain-text search over entries. Read-only; writes go through template.ts/activity.ts/edit.ts.
import { scan, Scan } from './scan';

export type PhaseStatus = 'complete' | 'in-progress' | 'planned' | 'unknown';

export interface JournalLink {
  text: string;
  href: string;
  /** 1-based line. */
  line: number;
}

export interface Phase {
  /** "1", "2.5", ... */
  number: string;
  /** Heading text as written (emoji/mojibake included). */
  title: string;
  /** The part after "Phase N:" ("Terraform + Proxmox Foundation"). */
  name: string;
  /** 1-based line of the heading. */
  line: number;
  status: PhaseStatus;
  /** The **Status** value as written ('' if none). */
  statusText: string;
  duration?: string;
  focus?: string;
  /** Every `**Key**: value` line of the phase, keyed by lower-case key. */
  fields: Record<string, string>;
  /** Every "Label:" followed by a bullet list, keyed by lower-case label. */
  lists: Record<string, string[]>;
  /** The "Key achievements" list (empty if none). */
  achievements: string[];
  links: JournalLink[];
  /** href of the phase's retrospective link, if any. */
  retrospective?: string;
}

export interface JournalReadme {
  file: string;
  title?: string;
  phases: Phase[];
  /** Links in a "Journal entries" section (what linkEntryFromReadme maintains). */
  entryLinks: JournalLink[];
}

export type DateSource = 'filename' | 'content' | 'mtime' | 'none';

export interface JournalEntry {
  file: string;
  /** YYYY-MM-DD, or undefined when no date was found and no mtime given. */
  date?: string;
  dateSource: DateSource;
  /** First heading, else the file name without extension. */
  title: string;
  /** First paragraph as plain text, at most 240 characters. */
  excerpt: string;
  /** Whole file as plain text (markdown syntax removed, code kept), for search. */
  text: string;
}

export interface JournalFile {
  path: string;
  bytes: Uint8Array;
  mtimeMs?: number;
}

export interface Journal {
  readme?: JournalReadme;
  /** Newest first; undated entries last. */
  entries: JournalEntry[];
}

export interface SearchHit {
  entry: JournalEntry;
  /** Plain text around the first match, whitespace collapsed. */
  snippet: string;
  /** [start, end) ranges of matched terms inside `snippet`. */
  highlights: Array<[number, number]>;
  score: number;
}

const PHASE = /\bphase\s+(\d+(?:\.\d+)*)\b\s*[:\-–—]?\s*(.*)$/i;
const FIELD = /^\s*\*\*([^*]+?)\*\*\s*:\s*(.*?)\s*$|^\s*\*\*([^*]+?):\*\*\s*(.*?)\s*$/;
const LABEL = /^\s*(?:\*\*)?([^*:|#>][^:|]*?)(?:\*\*)?\s*:(?:\*\*)?\s*$/;
const BULLET = /^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(.*?)\s*$/;
const LINK = /!?\[((?:[^\]\\]|\\.)*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

export function phaseStatus(text: string, heading = ''): PhaseStatus {
  const t = text.replace(/\*\*|__|`/g, '').toLowerCase();
  if (/\b(complete|completed|done|finished)\b/.test(t)) return 'complete';
  if (/\b(in[ -]?progress|active|ongoing|current|started|wip)\b/.test(t)) return 'in-progress';
  if (/\b(planned|todo|to do|future|not started|next|upcoming)\b/.test(t)) return 'planned';
  if (t.trim() === '' && /✅|âœ…|‚úÖ/.test(heading)) return 'complete';
  return 'unknown';
}

function stripInline(s: string): string {
  return s.replace(LINK, '$1').replace(/\*\*|__|`/g, '').replace(/<[^>]+>/g, '').trim();
}

function links(text: string, line: number): JournalLink[] {
  const out: JournalLink[] = [];
  for (const m of text.matchAll(LINK)) {
    if (m[0].startsWith('!')) continue;
    out.push({ text: stripInline(m[1]), href: m[2], line });
  }
  return out;
}

export function parseJournalReadme(bytes: Uint8Array, file: string): JournalReadme {
  const s = scan(bytes);
  const phases: Phase[] = [];
  const entryLinks: JournalLink[] = [];
  const title = s.headings.find((h) => h.level === 1)?.title;
  for (let k = 0; k < s.headings.length; k++) {
    const h = s.headings[k];
    let end = s.lines.length;
    for (let j = k + 1; j < s.headings.length; j++) if (s.headings[j].level <= h.level) { end = s.headings[j].index; break; }
    if (/journal entries/i.test(h.title)) {
      for (let i = h.index + 1; i < end; i++) if (!s.lines[i].code) entryLinks.push(...links(s.lines[i].text, i + 1));
      continue;
    }
    const m = PHASE.exec(h.title);
    if (m) phases.push(readPhase(s, h.index, end, h.title, m[1], m[2]));
  }
  return { file, title, phases, entryLinks };
}

function readPhase(s: Scan, head: number, end: number, title: string, number: string, rest: string): Phase {
  const fields: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  const found: JournalLink[] = [];
  let list: string[] | undefined;
  for (let i = head + 1; i < end; i++) {
    const ln = s.lines[i];
    if (ln.code) continue;
    const text = ln.text;
    found.push(...links(text, i + 1));
    const b = BULLET.exec(text);
    if (b && list) { if (b[1].length < 2) list.push(stripInline(b[2])); continue; }
    if (text.trim() === '') continue;
    const f = FIELD.exec(text);
    if (f) {
      const key = (f[1] ?? f[3]).trim().toLowerCase();
      const value = stripInline(f[2] ?? f[4] ?? '');
      if (value === '') { list = lists[key] = []; continue; }
      fields[key] = value;
      list = undefined;
      continue;
    }
    const l = LABEL.exec(text);
    if (l) { list = lists[l[1].trim().toLowerCase()] = []; continue; }
    list = undefined;
  }
  const statusText = fields['status'] ?? '';
  const retro = found.find((l) => /retro/i.test(l.href)) ?? found.find((l) => /\.md(#.*)?$/i.test(l.href));
  return {
    number,
    title,
    name: stripInline(rest),
    line: head + 1,
    status: phaseStatus(statusText, title),
    statusText,
    duration: fields['duration'],
    focus: fields['focus'],
    fields,
    lists,
    achievements: lists['key achievements'] ?? lists['achievements'] ?? [],
    links: found,
    retrospective: retro?.href,
  };
}

function validDate(y: string, m: string, d: string): string | undefined {
  const iso = `${y}-${m}-${d}`;
  const t = Date.parse(`${iso}T00:00:00Z`);
  return Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== iso ? undefined : iso;
}

const ISO_DATE = /(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)/;

function baseName(path: string): string {
  return path.replace(/\\/g, '/').split('/').pop() ?? path;
}

/** One journal entry: date from the file name, else a date in its first lines, else mtime. */
export function parseEntry(bytes: Uint8Array, file: string, mtimeMs?: number): JournalEntry {
  const s = scan(bytes);
  const name = baseName(file);
  let date: string | undefined;
  let dateSource: DateSource = 'none';
  const fm = ISO_DATE.exec(name);
  if (fm) date = validDate(fm[1], fm[2], fm[3]);
  if (date) dateSource = 'filename';
  if (!date) {
    for (let i = 0; i < Math.min(s.lines.length, 30) && !date; i++) {
      if (s.lines[i].code) continue;
      const m = ISO_DATE.exec(s.lines[i].text);
      if (m) date = validDate(m[1], m[2], m[3]);
      else {
        const d = /^\s*(?:\*\*)?date(?:\*\*)?\s*:(?:\*\*)?\s*(.+?)\s*$/i.exec(s.lines[i].text);
        const t = d ? Date.parse(`${stripInline(d[1])} UTC`) : NaN;
        if (!Number.isNaN(t)) date = new Date(t).toISOString().slice(0, 10);
      }
    }
    if (date) dateSource = 'content';
  }
  if (!date && mtimeMs !== undefined && Number.isFinite(mtimeMs)) {
    date = new Date(mtimeMs).toISOString().slice(0, 10);
    dateSource = 'mtime';
  }
  const title = s.headings[0]?.title ? stripInline(s.headings[0].title) : name.replace(/\.(md|markdown)$/i, '');
  const plain: string[] = [];
  let excerpt = '';
  let para: string[] = [];
  for (const ln of s.lines) {
    if (ln.code) { if (!/^\s*(```|~~~)/.test(ln.text)) plain.push(ln.text); continue; }
    const t = plainLine(ln.text);
    plain.push(t);
    if (!excerpt) {
      const isHeading = /^\s{0,3}#/.test(ln.text);
      if (t === '' || isHeading) { if (para.length) excerpt = para.join(' '); para = []; }
      else if (!/^(-{3,}|\*{3,}|_{3,})$/.test(ln.text.trim())) para.push(t);
    }
  }
  if (!excerpt && para.length) excerpt = para.join(' ');
  excerpt = excerpt.replace(/\s+/g, ' ').trim();
  if (excerpt.length > 240) excerpt = `${excerpt.slice(0, 239).trimEnd()}…`;
  return { file, date, dateSource, title, excerpt, text: plain.join('\n') };
}

function plainLine(text: string): string {
  return stripInline(
    text.replace(/^\s{0,3}#{1,6}\s+/, '').replace(/^\s*>\s?/, '').replace(/^\s*(?:[-*+]|\d{1,9}[.)])\s+(\[[ xX]\]\s+)?/, '')
      .replace(/\|/g, ' '),
  ).replace(/(^|\s)[*_]+|[*_]+(\s|$)/g, '$1$2');
}

/** Builds the journal from a folder's markdown files; README.md (any case) gives the phases. */
export function buildJournal(files: readonly JournalFile[], readmeName = 'README.md'): Journal {
  let readme: JournalReadme | undefined;
  const entries: JournalEntry[] = [];
  for (const f of files) {
    const name = baseName(f.path);
    if (!/\.(md|markdown)$/i.test(name)) continue;
    if (name.toLowerCase() === readmeName.toLowerCase()) { readme = parseJournalReadme(f.bytes, f.path); continue; }
    entries.push(parseEntry(f.bytes, f.path, f.mtimeMs));
  }
  entries.sort((a, b) => (a.date === b.date ? a.title.localeCompare(b.title) : a.date === undefined ? 1 : b.date === undefined ? -1 : a.date < b.date ? 1 : -1));
  return { readme, entries };
}

/** Case-insensitive search: every word of the query must occur (title or text). Best first. */
export function searchEntries(entries: readonly JournalEntry[], query: string, opts: { limit?: number; context?: number } = {}): SearchHit[] {
  const q = query.trim().toLowerCase().replace(/\s+/g, ' ');
  if (q === '') return [];
  const terms = [...new Set(q.split(' '))];
  const context = opts.context ?? 60;
  const hits: SearchHit[] = [];
  for (const entry of entries) {
    const title = entry.title.toLowerCase();
    const flat = entry.text.replace(/\s+/g, ' ').trim();
    const lower = flat.toLowerCase();
    const hay = lower.length === flat.length ? flat : lower;
    if (!terms.every((t) => title.includes(t) || lower.includes(t))) continue;
    let score = 0;
    if (title.includes(q)) score += 10;
    if (lower.includes(q)) score += 5;
    for (const t of terms) {
      if (title.includes(t)) score += 3;
      score += Math.min(5, count(lower, t));
    }
    let at = lower.indexOf(q);
    let len = q.length;
    if (at < 0) {
      const first = terms.map((t) => [lower.indexOf(t), t.length]).filter(([i]) => i >= 0).sort((a, b) => a[0] - b[0])[0];
      if (first) [at, len] = first;
    }
    let snippet: string;
    if (at < 0) snippet = entry.excerpt || flat.slice(0, context * 2);
    else {
      const start = Math.max(0, at - context);
      const end = Math.min(hay.length, at + len + context);
      snippet = (start > 0 ? '…' : '') + hay.slice(start, end) + (end < hay.length ? '…' : '');
    }
    const sl = snippet.toLowerCase();
    const highlights: Array<[number, number]> = [];
    for (const t of terms) for (let i = sl.indexOf(t); i >= 0; i = sl.indexOf(t, i + t.length)) highlights.push([i, i + t.length]);
    highlights.sort((a, b) => a[0] - b[0]);
    hits.push({ entry, snippet, highlights, score });
  }
  hits.sort((a, b) => b.score - a.score || (b.entry.date ?? '').localeCompare(a.entry.date ?? ''));
  return opts.limit !== undefined ? hits.slice(0, opts.limit) : hits;
}

function count(hay: string, needle: string): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) n++;
  return n;
}
