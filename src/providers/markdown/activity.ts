// Activity log: one markdown list line per operation the user ran, appended to a log file, and
// notes appended to journal entries. Lines are human-readable and parse back.
import { dominantEol, splitLines } from './lines';
import { appendToSection, insertLines } from './insert';

export type ActivityResult = 'ok' | 'failed' | 'cancelled';

export interface ActivityInput {
  when: Date | string | number;
  /** What was done, e.g. "Clone guest 101 to 120". */
  what: string;
  cluster?: string;
  /** Guest, node or Kubernetes object the operation acted on. */
  target?: string;
  durationMs: number;
  result: ActivityResult | string;
}

export interface ActivityEntry {
  /** 1-based line in the log. */
  line: number;
  /** ISO 8601 UTC, second precision. */
  when: string;
  result: string;
  what: string;
  cluster?: string;
  target?: string;
  /** Parsed back from the rounded text ("1.2 s" -> 1200). */
  durationMs?: number;
}

const SEP = ' · ';
export const ACTIVITY_HEADER = '# Activity log';

function clean(s: string): string {
  // Keep one line and keep the separator unambiguous.
  return s.replace(/[\r\n]+/g, ' ').replace(/\s·\s/g, ' - ').replace(/`/g, "'").trim();
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '? s';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min ${s} s`;
}

function parseDuration(t: string): number | undefined {
  let m = /^(\d+) ms$/.exec(t);
  if (m) return Number(m[1]);
  m = /^(\d+(?:\.\d+)?) s$/.exec(t);
  if (m) return Math.round(Number(m[1]) * 1000);
  m = /^(\d+) min (\d+) s$/.exec(t);
  if (m) return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  m = /^(\d+) h (\d+) min$/.exec(t);
  if (m) return (Number(m[1]) * 3600 + Number(m[2]) * 60) * 1000;
  return undefined;
}

/** `- 2026-11-21T21:03:04Z · **ok** · Clone guest 101 · cluster `pve` · target `node1/101` · 1.2 s` */
export function formatActivityLine(a: ActivityInput): string {
  const when = new Date(a.when);
  if (Number.isNaN(when.getTime())) throw new RangeError(`Activity time "${String(a.when)}" is not a valid date`);
  const what = clean(a.what);
  if (what === '') throw new RangeError('Activity has no description');
  const parts = [when.toISOString().replace(/\.\d{3}Z$/, 'Z'), `**${clean(String(a.result)) || 'unknown'}**`, what];
  if (a.cluster && clean(a.cluster)) parts.push(`cluster \`${clean(a.cluster)}\``);
  if (a.target && clean(a.target)) parts.push(`target \`${clean(a.target)}\``);
  parts.push(formatDuration(a.durationMs));
  return `- ${parts.join(SEP)}`;
}

/** New log bytes: `line` appended (header created for a new/empty file), existing bytes kept as they are. */
export function appendActivity(existing: Uint8Array | undefined, line: string): Buffer {
  const one = line.replace(/[\r\n]+$/, '');
  if (/[\r\n]/.test(one)) throw new RangeError('An activity line must be a single line');
  if (!existing || existing.byteLength === 0) return Buffer.from(`${ACTIVITY_HEADER}\n\n${one}\n`);
  const lines = splitLines(existing);
  const endsWithEol = lines.length > 0 && lines[lines.length - 1].eol !== '';
  // A log always ends with a newline after our lines; insertLines keeps "no final newline", so add one.
  const out = insertLines(existing, lines.length, [one]);
  if (endsWithEol) return out;
  return Buffer.concat([out, Buffer.from(dominantEol(lines))]);
}

const ACTIVITY_LINE = /^\s*[-*]\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)\s·\s(.*)$/;

export function parseActivity(bytes: Uint8Array): ActivityEntry[] {
  const out: ActivityEntry[] = [];
  const lines = splitLines(bytes);
  for (let i = 0; i < lines.length; i++) {
    const m = ACTIVITY_LINE.exec(lines[i].content.toString('utf8'));
    if (!m) continue;
    const parts = m[2].split(SEP);
    if (parts.length < 2) continue;
    const result = parts[0].replace(/\*\*/g, '').trim();
    const entry: ActivityEntry = { line: i + 1, when: m[1], result, what: parts[1].trim() };
    for (const p of parts.slice(2)) {
      const c = /^cluster `(.*)`$/.exec(p);
      const t = /^target `(.*)`$/.exec(p);
      if (c) entry.cluster = c[1];
      else if (t) entry.target = t[1];
      else entry.durationMs = parseDuration(p.trim()) ?? entry.durationMs;
    }
    out.push(entry);
  }
  return out;
}

/** Entry bytes with `note` added as a list item under a `## Notes` section (created at the end if missing). */
export function appendNoteToEntry(entryBytes: Uint8Array, note: string, opts: { when?: Date } = {}): Buffer {
  const text = note.replace(/\r\n?/g, '\n').trim();
  if (text === '') throw new RangeError('Note is empty');
  const [first, ...rest] = text.split('\n');
  const stamp = opts.when ? `${opts.when.toISOString().slice(0, 16).replace('T', ' ')} UTC: ` : '';
  const item = [`- ${stamp}${first}`, ...rest.map((l) => (l.trim() === '' ? '' : `  ${l}`))];
  return appendToSection(entryBytes, /^\W*notes\W*$/i, '## Notes', item);
}
