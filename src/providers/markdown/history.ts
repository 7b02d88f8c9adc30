// Tracker history from git itself: the status of every story at each commit that touched a
// tracker file. Two git processes per read, whatever the number of commits: one `git log --raw`
// (which files changed, to which blob) and one `git cat-file --batch` for the blobs not seen yet.
// Blob contents never change, so parsed blobs and the points built from them are cached by id:
// a second read only pays for the log and for commits added since.
import { spawn } from 'node:child_process';
import { columnRole, parseStatus, type StoryStatus } from './tracker';
import { delimiterCells } from './table';
import { throwIfCancelled } from '../cancellation';

export interface StatusCount { done: number; inProgress: number; total: number }

export interface StorySnapshot {
  /** Story ID ("0.1.3"), else the story text: what links a story across commits and renames. */
  key: string;
  epic: string;
  status: StoryStatus;
}

export interface HistoryPoint {
  commit: string;
  /** Committer date, ISO 8601. */
  date: string;
  subject: string;
  /** Tracker files present at this commit (repository-relative). */
  files: string[];
  overall: StatusCount;
  /** By epic key (epic number, else section title). */
  epics: Record<string, StatusCount>;
  statuses: Record<string, StoryStatus>;
}

export type TrackerHistory =
  | { available: true; root: string; points: HistoryPoint[]; epicTitles: Record<string, string>; stats: HistoryStats }
  | { available: false; reason: string; points: []; epicTitles: Record<string, string> };

export interface HistoryStats { commits: number; blobsParsed: number; pointsReused: number }

export class GitUnavailableError extends Error {}

interface Exec { stdout: Buffer; stderr: string; code: number | null }

function run(git: string, args: string[], cwd: string, input?: string, signal?: AbortSignal): Promise<Exec> {
  return new Promise((resolve, reject) => {
    // No shell; LC_ALL=C so error text is stable; GIT_OPTIONAL_LOCKS=0 so reading never takes the index lock.
    const child = spawn(git, args, { cwd, signal, env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new GitUnavailableError('git is not installed or not on PATH, so the tracker history cannot be read'));
      else reject(e);
    });
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8').trim(), code }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** VS Code-style globs (`**\/Phase*.md`) as git pathspecs; case-insensitive like the file search on most systems. */
export function pathspecs(globs: readonly string[]): string[] {
  return globs.map((g) => `:(glob,icase)${g.replace(/^\.?\//, '')}`);
}

interface LogCommit { commit: string; date: string; subject: string; changes: Array<{ status: string; blob: string; path: string; from?: string }> }

/** Parses `git log --raw --no-abbrev --format=%x1e%H%x1f%cI%x1f%s` output. */
export function parseLog(text: string): LogCommit[] {
  const out: LogCommit[] = [];
  for (const chunk of text.split('\x1e')) {
    if (chunk.trim() === '') continue;
    const [head, ...rest] = chunk.split('\n');
    const [commit, date, subject] = head.split('\x1f');
    if (!/^[0-9a-f]{40,64}$/.test(commit ?? '')) continue;
    const changes: LogCommit['changes'] = [];
    for (const l of rest) {
      // :100644 100644 <old> <new> M\tpath   |   ... R086\told\tnew
      const m = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) ([A-Z])\d*\t([^\t]+)(?:\t([^\t]+))?$/.exec(l);
      if (!m) continue;
      if (m[4] !== undefined) changes.push({ status: m[2], blob: m[1], from: unquote(m[3]), path: unquote(m[4]) });
      else changes.push({ status: m[2], blob: m[1], path: unquote(m[3]) });
    }
    out.push({ commit, date: date ?? '', subject: subject ?? '', changes });
  }
  return out;
}

/** git C-quotes unusual paths even with core.quotePath=false ("a\"b.md", "tab\there.md"). */
function unquote(p: string): string {
  if (!(p.startsWith('"') && p.endsWith('"'))) return p;
  const bytes: number[] = [];
  const s = p.slice(1, -1);
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') { bytes.push(...Buffer.from(s[i])); continue; }
    const n = s[++i];
    if (/[0-7]/.test(n)) { bytes.push(parseInt(s.slice(i, i + 3), 8)); i += 2; continue; }
    bytes.push(({ n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parses `git cat-file --batch` output into blob id -> bytes (missing objects are left out). */
export function parseBatch(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) break;
    const header = buf.subarray(at, nl).toString('latin1');
    const m = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
    if (!m) { at = nl + 1; continue; }
    const size = Number(m[3]);
    out.set(m[1], buf.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return out;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;

/** Cells of a pipe-table row (untrimmed when no escape: callers trim the few they read), `\|` kept as a pipe. */
function cells(line: string): string[] {
  let t = line.trim();
  if (t.startsWith('|')) t = t.slice(1);
  if (t.endsWith('|') && !t.endsWith('\\|')) t = t.slice(0, -1);
  // Most rows have no escaped pipe: a plain split is much cheaper than the look-behind.
  if (!t.includes('\\')) return t.split('|');
  return t.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

// Status cells repeat ("✅ Done", ""): read each distinct text once.
const statusMemo = new Map<string, StoryStatus>();
function statusOf(cell: string): StoryStatus {
  let st = statusMemo.get(cell);
  if (st === undefined) {
    st = parseStatus(cell);
    if (statusMemo.size < 10_000) statusMemo.set(cell, st);
  }
  return st;
}

/**
 * Story statuses of one tracker version. A lean reading of what parseTracker reads (headings,
 * fences, pipe tables, the same column roles and status words) without the locators and line
 * hashes an editor needs: history parses hundreds of versions, the panel one.
 */
export function summarise(bytes: Uint8Array, _path = ''): { stories: StorySnapshot[]; epicTitles: Record<string, string> } {
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').split('\n');
  const stories: StorySnapshot[] = [];
  const epicTitles: Record<string, string> = {};
  let fence: string | undefined;
  let section = '';
  let epic = '';
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    const f = FENCE.exec(text);
    if (fence !== undefined) { if (f && f[1][0] === fence[0] && f[1].length >= fence.length) fence = undefined; continue; }
    if (f && !(f[1][0] === '`' && text.slice(f[0].length).includes('`'))) { fence = f[1]; continue; }
    const h = text.trimStart().startsWith('#') ? ATX.exec(text) : null;
    if (h) {
      section = (h[2] ?? '').trim();
      const m = /\bepic\s+([0-9][\w.]*)/i.exec(section);
      epic = m ? m[1].replace(/[.:]$/, '') : section;
      continue;
    }
    if (!text.includes('|') || i + 1 >= lines.length) continue;
    const next = lines[i + 1].replace(/\r$/, '');
    const delim = delimiterCells(next);
    if (delim === undefined) continue;
    const headers = cells(text).map((x) => x.trim());
    if (headers.length !== delim) continue;
    const roles = headers.map((x) => columnRole(x));
    const idCol = roles.indexOf('id');
    const statusCol = roles.indexOf('status');
    let storyCol = roles.indexOf('story');
    if (storyCol < 0) storyCol = roles.findIndex((r) => r !== 'id' && r !== 'status');
    let r = i + 2;
    for (; r < lines.length; r++) {
      const row = lines[r].replace(/\r$/, '');
      if (row.trim() === '' || !row.includes('|') || FENCE.test(row) || (row.trimStart().startsWith('#') && ATX.test(row))) break;
      const c = cells(row);
      const key = ((idCol >= 0 ? c[idCol] : '') ?? '').trim() || ((storyCol >= 0 ? c[storyCol] : '') ?? '').replace(/\s+/g, ' ').trim();
      if (!key) continue;
      stories.push({ key, epic, status: statusOf(statusCol >= 0 && statusCol < headers.length ? (c[statusCol] ?? '').trim() : '') });
    }
    if (r > i + 2) epicTitles[epic] = section;
    i = r - 1;
  }
  return { stories, epicTitles };
}

const empty = (): StatusCount => ({ done: 0, inProgress: 0, total: 0 });

export class TrackerHistoryReader {
  private readonly blobs = new Map<string, { stories: StorySnapshot[]; epicTitles: Record<string, string> }>();
  private readonly points = new Map<string, HistoryPoint>();

  constructor(private readonly globs: readonly string[], private readonly git = 'git') {}

  /** The history of the tracker files under `cwd`; never throws for "no git" or "not a repository", it says why. */
  async read(cwd: string, signal?: AbortSignal): Promise<TrackerHistory> {
    let root: string;
    try {
      const r = await run(this.git, ['rev-parse', '--show-toplevel'], cwd, undefined, signal);
      if (r.code !== 0) return { available: false, reason: 'The workspace is not a git repository, so there is no history of the tracker files.', points: [], epicTitles: {} };
      root = r.stdout.toString('utf8').trim();
    } catch (e) {
      throwIfCancelled(signal);
      if (e instanceof GitUnavailableError) return { available: false, reason: e.message, points: [], epicTitles: {} };
      throw e;
    }
    throwIfCancelled(signal);
    const log = await run(this.git, [
      '-c', 'core.quotePath=false', 'log', '--first-parent', '-m', '--raw', '--no-abbrev', '--no-renames', '--no-color', '--no-ext-diff',
      '--format=%x1e%H%x1f%cI%x1f%s', 'HEAD', '--', ...pathspecs(this.globs),
    ], cwd, undefined, signal);
    if (log.code !== 0) {
      if (/does not have any commits|unknown revision|bad (default )?revision/i.test(log.stderr)) {
        return { available: false, reason: 'The git repository has no commits yet.', points: [], epicTitles: {} };
      }
      throw new Error(`git log failed: ${log.stderr || `exit code ${log.code}`}`);
    }
    // No rename detection (costly): a rename reads as delete + add, and stories keep their IDs across it.
    // `--first-parent` follows the branch as the user sees it; a merge counts as one change (its diff
    // against the first parent), so a story merged from a side branch changes status at the merge.
    const commits = parseLog(log.stdout.toString('utf8')).reverse();
    const state = new Map<string, string>();
    const wanted = new Set<string>();
    const plan: Array<{ c: LogCommit; files: Array<[string, string]> }> = [];
    for (const c of commits) {
      for (const ch of c.changes) {
        if (ch.from !== undefined) state.delete(ch.from);
        if (ch.status === 'D' || /^0+$/.test(ch.blob)) state.delete(ch.path);
        else state.set(ch.path, ch.blob);
      }
      const files = [...state.entries()].sort((a, b) => a[0].localeCompare(b[0]));
      plan.push({ c, files });
      if (!this.points.has(c.commit)) for (const [, blob] of files) if (!this.blobs.has(blob)) wanted.add(blob);
    }
    throwIfCancelled(signal);
    let parsed = 0;
    if (wanted.size) {
      const paths = new Map<string, string>();
      for (const p of plan) for (const [path, blob] of p.files) if (wanted.has(blob)) paths.set(blob, path);
      const batch = await run(this.git, ['cat-file', '--batch'], cwd, [...wanted].join('\n') + '\n', signal);
      if (batch.code !== 0) throw new Error(`git cat-file failed: ${batch.stderr || `exit code ${batch.code}`}`);
      for (const [blob, bytes] of parseBatch(batch.stdout)) {
        this.blobs.set(blob, summarise(bytes, paths.get(blob) ?? blob));
        parsed++;
      }
    }
    let reused = 0;
    const points: HistoryPoint[] = [];
    const epicTitles: Record<string, string> = {};
    for (const { c, files } of plan) {
      for (const [, blob] of files) Object.assign(epicTitles, this.blobs.get(blob)?.epicTitles);
      const cached = this.points.get(c.commit);
      if (cached) { points.push(cached); reused++; continue; }
      const p = this.point(c, files);
      this.points.set(c.commit, p);
      points.push(p);
    }
    return { available: true, root, points, epicTitles, stats: { commits: commits.length, blobsParsed: parsed, pointsReused: reused } };
  }

  private point(c: LogCommit, files: Array<[string, string]>): HistoryPoint {
    const statuses: Record<string, StoryStatus> = {};
    const epics: Record<string, StatusCount> = {};
    const overall = empty();
    for (const [, blob] of files) {
      for (const st of this.blobs.get(blob)?.stories ?? []) {
        // The same story in two files (a copy kept while moving it) counts once: the first file by path wins.
        if (statuses[st.key] !== undefined) continue;
        statuses[st.key] = st.status;
        const e = (epics[st.epic] ??= empty());
        for (const n of [e, overall]) {
          n.total++;
          if (st.status === 'done') n.done++;
          else if (st.status === 'in-progress') n.inProgress++;
        }
      }
    }
    return { commit: c.commit, date: c.date, subject: c.subject, files: files.map(([p]) => p), overall, epics, statuses };
  }
}
