// Tracker history from git itself: the status of every story at each commit that touched a
// tracker file. Two git processes per read, whatever the number of commits: one `git log --raw`
// (which files changed, to which blob) and one `git cat-file --batch` for the blobs not seen yet.
// Blob contents never change, so parsed blobs and the points built from them are cached by id:
// a second read only pays for the log and for commits added since.
import { spawn } from 'node:child_process';
import { parseTracker, type StoryStatus } from './tracker';
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

function summarise(bytes: Uint8Array, path: string): StorySnapshot[] {
  const model = parseTracker(bytes, path);
  const out: StorySnapshot[] = [];
  for (const s of model.sections) {
    const epic = s.epicId ?? s.title;
    for (const t of s.tables) for (const st of t.stories) {
      const key = st.id.trim() || st.text.replace(/\s+/g, ' ').trim();
      if (key) out.push({ key, epic, status: st.status });
    }
  }
  return out;
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
      '-c', 'core.quotePath=false', 'log', '--first-parent', '-m', '--raw', '--no-abbrev', '-M', '--no-color', '--no-ext-diff',
      '--format=%x1e%H%x1f%cI%x1f%s', 'HEAD', '--', ...pathspecs(this.globs),
    ], cwd, undefined, signal);
    if (log.code !== 0) {
      if (/does not have any commits|unknown revision|bad (default )?revision/i.test(log.stderr)) {
        return { available: false, reason: 'The git repository has no commits yet.', points: [], epicTitles: {} };
      }
      throw new Error(`git log failed: ${log.stderr || `exit code ${log.code}`}`);
    }
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
        const model = parseTracker(bytes, paths.get(blob) ?? blob);
        const epicTitles: Record<string, string> = {};
        for (const s of model.sections) if (s.tables.length) epicTitles[s.epicId ?? s.title] = s.title;
        this.blobs.set(blob, { stories: summarise(bytes, paths.get(blob) ?? blob), epicTitles });
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
