// A fixture workspace for the journal and tracker UI tests: the user's own files when this machine
// has them (/work/shared/context), else the repo's fixtures, copied into a fresh temp folder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';

const FIX = resolve(__dirname, '../fixtures/markdown');
const CONTEXT = '/work/shared/context';

function source(contextName: string, fallback: string): Buffer {
  const p = join(CONTEXT, contextName);
  return existsSync(p) ? readFileSync(p) : readFileSync(join(FIX, fallback));
}

export function labWorkspace(name: string): string {
  const ws = mkdtempSync(join(tmpdir(), `homelab-${name}-`));
  const put = (rel: string, bytes: Buffer | string): void => {
    mkdirSync(join(ws, rel, '..'), { recursive: true });
    writeFileSync(join(ws, rel), bytes);
  };
  put('docs/Phase0-learning-tracker.md', source('Phase0-learning-tracker.md', 'tracker-phase1.md'));
  put('docs/Phase1.md', readFileSync(join(FIX, 'tracker-phase1.md')));
  put('docs/learning-goals.md', source('learning-goals.md', 'learning-goals.md'));
  put('journal/README.md', source('journal-readme.md', 'journal/README.md'));
  put('journal/phase-1-retrospective.md', readFileSync(join(FIX, 'journal/phase-1-retrospective.md')));
  put('journal/phase-2-retrospective.md', source('phase-2-retrospective.md', 'journal/2025-06-14-nixos-templates.md'));
  put('journal/2025-06-14-nixos-templates.md', readFileSync(join(FIX, 'journal/2025-06-14-nixos-templates.md')));
  put('journal/ups-notes.md', readFileSync(join(FIX, 'journal/ups-notes.md')));
  put('journal/activity.md', [
    '# Activity log',
    '',
    '- 2025-06-12T18:02:11Z · **ok** · Build NixOS ISO · cluster `homelab` · target `pve1` · 14 min 32 s',
    '- 2025-06-12T18:20:40Z · **ok** · Create template 9000 from ISO · cluster `homelab` · target `pve1/9000` · 6 min 5 s',
    '- 2025-06-13T09:14:03Z · **failed** · Clone template 9000 to 201 · cluster `homelab` · target `pve2/201` · 38.2 s',
    '- 2025-06-13T09:20:55Z · **ok** · Clone template 9000 to 201 · cluster `homelab` · target `pve2/201` · 41.0 s',
    '- 2025-06-14T20:45:00Z · **ok** · Migrate guest 201 · cluster `homelab` · target `pve3/201` · 1 min 12 s',
    '',
  ].join('\n'));
  return ws;
}

/** The content frame of the active webview. */
export function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

export async function waitForBytes(read: () => Buffer, changedFrom: Buffer, ms = 15_000): Promise<Buffer> {
  const end = Date.now() + ms;
  for (;;) {
    const now = read();
    if (!now.equals(changedFrom)) return now;
    if (Date.now() > end) throw new Error('the file did not change');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a webview's strict CSP blocked, read from the browser console (the pages need no inline style or script). */
export function cspWatch(): { violations: string[]; watch(page: Page): void } {
  const violations: string[] = [];
  return {
    violations,
    watch: (page) => page.on('console', (m) => { if (/Content Security Policy|Refused to (load|apply|execute)/i.test(m.text())) violations.push(m.text()); }),
  };
}
