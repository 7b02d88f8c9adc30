// A real git repository in a temp dir, for tests and benches of the tracker history.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export class TempRepo {
  readonly dir: string;
  private tick = 0;

  constructor(prefix = 'homelab-git-') {
    this.dir = mkdtempSync(path.join(tmpdir(), prefix));
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.email', 'test@example.invalid');
    this.git('config', 'user.name', 'Test');
    this.git('config', 'commit.gpgsign', 'false');
  }

  git(...args: string[]): string {
    // Fixed, increasing dates so the history is deterministic.
    const date = `2025-05-${String(1 + Math.floor(this.tick / 24)).padStart(2, '0')}T${String(this.tick % 24).padStart(2, '0')}:00:00Z`;
    return execFileSync('git', args, { cwd: this.dir, env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }, encoding: 'utf8' });
  }

  write(file: string, text: string): void {
    const p = path.join(this.dir, file);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }

  commit(message: string): string {
    this.tick++;
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  /**
   * Many commits at once through `git fast-import` (a bench needs 500 without 1,500 processes):
   * each commit sets whole files (path -> text), or deletes them (path -> null).
   */
  importCommits(commits: Array<{ message: string; files: Record<string, string | null> }>, branch = 'main'): void {
    const parts: string[] = [];
    let mark = 0;
    const t0 = Date.UTC(2025, 0, 1) / 1000;
    let hasParent = true;
    try { this.git('rev-parse', '-q', '--verify', `refs/heads/${branch}`); } catch { hasParent = false; }
    commits.forEach((c, i) => {
      mark++;
      const msg = Buffer.from(c.message);
      parts.push(`commit refs/heads/${branch}`, `mark :${mark}`, `committer Test <test@example.invalid> ${t0 + i * 3600} +0000`, `data ${msg.length}`, c.message);
      if (i === 0 && hasParent) parts.push(`from refs/heads/${branch}^0`);
      for (const [file, text] of Object.entries(c.files)) {
        if (text === null) { parts.push(`D ${file}`); continue; }
        const b = Buffer.from(text);
        parts.push(`M 100644 inline ${file}`, `data ${b.length}`, text);
      }
      parts.push('');
    });
    execFileSync('git', ['fast-import', '--quiet'], { cwd: this.dir, input: parts.join('\n') + '\n' });
    this.git('reset', '-q', '--hard', branch);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
