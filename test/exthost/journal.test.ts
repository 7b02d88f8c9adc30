import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import { appendNoteToEntry, entryFileName, linkEntryFromReadme, newEntry, parseActivity } from '../../src/providers/markdown';
import type { EntryContent, JournalState, SearchResult } from '../../src/protocol/journal';
import type { JournalPanel } from '../../src/views/journal/panel';
import { localDay } from '../../src/commands/journal';
import { activateHomelab } from './util';
import { closeAllEditors, fixture, keyOfWs, readWs, removeWs, request, runScripted, setSetting, writeWs, wsPath } from './webview-helpers';

const ROOT = 'journal-ws';
const J = `${ROOT}/journal`;
const USER_RETRO = '/work/shared/context/phase-2-retrospective.md';

async function waitFor<T>(what: string, fn: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Journal panel and commands (extension host)', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let panel: JournalPanel;

  before(async () => {
    api = await activateHomelab();
    removeWs(ROOT);
    await setSetting('journal.folder', J);
  });
  after(async () => {
    api.journal.current?.panel.dispose();
    await setSetting('journal.folder', undefined);
    removeWs(ROOT);
    await closeAllEditors();
  });

  it('Journal: open over a missing folder offers to create it; declining creates nothing', async () => {
    const { failure } = await runScripted(api, 'homelab.journal.open', [undefined]);
    assert.equal(failure, undefined);
    assert.match(api.prompts.asked[api.prompts.asked.length - 1], /journal folder journal-ws\/journal does not exist\. Create it\?/);
    assert.ok(api.journal.current, 'the panel is open');
    panel = api.journal.current;
    assert.equal(panel.state?.exists, false);
    assert.equal(panel.state?.folder, J);
    assert.equal(existsSync(wsPath(J)), false, 'nothing created when the user declines');
  });

  it('Journal: accepting the offer creates the folder with a starting README', async () => {
    const { failure } = await runScripted(api, 'homelab.journal.open', ['Create Folder']);
    assert.equal(failure, undefined);
    assert.equal(existsSync(wsPath(`${J}/README.md`)), true);
    assert.match(readWs(`${J}/README.md`).toString(), /^# Lab Journal\n/);
    assert.equal(api.journal.current?.state?.exists, true);
  });

  it('Journal: New Journal Entry over a missing folder offers to create it, then writes and links the entry', async () => {
    const other = `${ROOT}/other-journal`;
    await setSetting('journal.folder', other);
    try {
      const declined = await runScripted(api, 'homelab.journal.newEntry', [undefined]);
      assert.equal(declined.failure, undefined);
      assert.equal(existsSync(wsPath(other)), false);
      const { result, failure } = await runScripted<vscode.Uri>(api, 'homelab.journal.newEntry', ['Create Folder', 'First session']);
      assert.equal(failure, undefined);
      const name = entryFileName({ date: localDay(new Date()), title: 'First session' });
      assert.equal(result?.fsPath, wsPath(`${other}/${name}`));
      const readme = readWs(`${other}/README.md`).toString();
      assert.ok(readme.startsWith('# Lab Journal\n'), readme);
      assert.ok(readme.endsWith(`## Journal entries\n\n- [First session](./${name})\n`), readme);
    } finally {
      await setSetting('journal.folder', J);
    }
  });

  it('Journal: the panel\'s "Create Folder" runs homelab.journal.createFolder, which keeps an existing README', async () => {
    const other = `${ROOT}/button-journal`;
    await setSetting('journal.folder', other);
    try {
      assert.equal((await panel.reload()).exists, false);
      assert.equal(await panel.channel.receive({ type: 'createFolder', payload: {} }), true);
      assert.equal(existsSync(wsPath(`${other}/README.md`)), true);
      assert.equal(panel.state?.exists, true, 'the panel reloaded');
      writeWs(`${other}/README.md`, '# Mine\n');
      const { failure } = await runScripted(api, 'homelab.journal.createFolder', []);
      assert.equal(failure, undefined);
      assert.equal(readWs(`${other}/README.md`).toString(), '# Mine\n');
    } finally {
      await setSetting('journal.folder', J);
    }
  });

  it('Journal: shows the README phases as a timeline, the entries with dates, and the activity log', async () => {
    removeWs(J);
    for (const name of ['README.md', 'phase-1-retrospective.md', '2025-06-14-nixos-templates.md', 'ups-notes.md']) writeWs(`${J}/${name}`, fixture(`journal/${name}`));
    if (existsSync(USER_RETRO)) writeWs(`${J}/phase-2-retrospective.md`, readFileSync(USER_RETRO));
    writeWs(`${J}/activity.md`, '# Activity log\n\n- 2026-11-20T10:00:00Z · **ok** · Clone guest 101 to 120 · cluster `lab` · target `pve1/120` · 42.0 s\n- 2026-11-20T11:00:00Z · **failed** · Migrate guest 120 · cluster `lab` · target `pve2/120` · 1 min 3 s\n');
    const state: JournalState = await panel.reload();
    assert.equal(state.exists, true);
    assert.equal(state.readme?.title, 'Homelab Journal: Building the Lab with an AI Pair');
    const phases = state.readme!.phases;
    assert.deepEqual(phases.map((p) => [p.number, p.status, p.statusText]), [['1', 'complete', 'Complete'], ['2', 'in-progress', 'In progress'], ['3', 'planned', 'Planned']]);
    assert.equal(phases[0].duration, '6-10 hours');
    assert.deepEqual(phases[0].achievements, ['Three-node Proxmox cluster with quorum', 'Terraform provider wired to the API', 'Documented IP plan']);
    assert.equal(phases[0].retrospective, keyOfWs(`${J}/phase-1-retrospective.md`), 'the retrospective link resolves to the entry');
    const byLabel = new Map(state.entries.map((e) => [e.label, e]));
    assert.equal(byLabel.get(`${J}/2025-06-14-nixos-templates.md`)?.date, '2025-06-14');
    assert.equal(byLabel.get(`${J}/2025-06-14-nixos-templates.md`)?.dateSource, 'filename');
    assert.ok(byLabel.has(`${J}/ups-notes.md`), 'any markdown of the folder is an entry');
    assert.ok(!byLabel.has(`${J}/README.md`) && !byLabel.has(`${J}/activity.md`));
    // Activity newest first, beside the entries.
    assert.deepEqual(state.activity.map((a) => [a.what, a.result, a.cluster, a.target, a.durationMs]), [
      ['Migrate guest 120', 'failed', 'lab', 'pve2/120', 63_000],
      ['Clone guest 101 to 120', 'ok', 'lab', 'pve1/120', 42_000],
    ]);
  });

  it('Journal: a "%" in a README link (100%-uptime.md) neither breaks the load nor the link', async () => {
    // Self-contained: the README fixture and an open panel, whatever earlier tests left.
    writeWs(`${J}/README.md`, fixture('journal/README.md'));
    if (!api.journal.current) assert.equal((await runScripted(api, 'homelab.journal.open', [])).failure, undefined);
    panel = api.journal.current!;
    const readme = readWs(`${J}/README.md`);
    try {
      writeWs(`${J}/100%-uptime.md`, '# 100% uptime\n\nNotes.\n');
      // The Phase 1 retrospective link now points at a file whose name has a bare "%".
      writeWs(`${J}/README.md`, Buffer.from(readme.toString('latin1').replace('(./phase-1-retrospective.md)', '(./100%-uptime.md)'), 'latin1'));
      const state: JournalState = await panel.reload();
      assert.equal(state.exists, true);
      assert.equal(state.readme?.phases[0].retrospective, keyOfWs(`${J}/100%-uptime.md`));
      assert.ok(state.entries.some((e) => e.label === `${J}/100%-uptime.md`));
    } finally {
      writeWs(`${J}/README.md`, readme);
      removeWs(`${J}/100%-uptime.md`);
    }
  });

  it('Journal: renders an entry as sanitised markdown (no raw HTML, no script links)', async () => {
    writeWs(`${J}/2026-01-02-unsafe.md`, '# Unsafe\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[evil](javascript:alert(3)) [cmd](command:workbench.action.quit) [ok](https://example.org/x) [rel](./ups-notes.md)\n\n![pic](https://tracker.example/p.png)\n');
    await panel.reload();
    const c = await request<EntryContent>(panel.channel, 'show', { key: keyOfWs(`${J}/2026-01-02-unsafe.md`) });
    assert.equal(c.title, 'Unsafe');
    assert.equal(c.error, undefined);
    assert.doesNotMatch(c.html, /<script|<img|<[^>]+onerror=/i);
    // Links other than http(s) and relative ones stay plain text.
    assert.deepEqual([...c.html.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]), ['https://example.org/x', './ups-notes.md', 'https://tracker.example/p.png']);
    assert.match(c.html, /\[evil\]\(javascript:alert\(3\)\)/);
    assert.match(c.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(c.html, /<a href="https:\/\/example\.org\/x" data-href="https:\/\/example\.org\/x"/);
    assert.match(c.html, /<a href="\.\/ups-notes\.md" data-href="\.\/ups-notes\.md"/);
    // A relative link to another entry selects it in the panel.
    const n = panel.channel.posted.length;
    assert.equal(await panel.channel.receive({ type: 'openLink', payload: { key: keyOfWs(`${J}/2026-01-02-unsafe.md`), href: './ups-notes.md' } }), true);
    assert.deepEqual(panel.channel.posted.slice(n).map((m) => m.type), ['select']);
    assert.deepEqual(panel.channel.posted[panel.channel.posted.length - 1].payload, { key: keyOfWs(`${J}/ups-notes.md`) });
    // A javascript: link does nothing.
    const m = panel.channel.posted.length;
    await panel.channel.receive({ type: 'openLink', payload: { key: keyOfWs(`${J}/2026-01-02-unsafe.md`), href: 'javascript:alert(3)' } });
    assert.equal(panel.channel.posted.length, m);
  });

  it('Journal: search finds entries by every word, with highlighted snippets', async () => {
    const r = await request<SearchResult>(panel.channel, 'search', { query: 'bash shebang' });
    assert.equal(r.query, 'bash shebang');
    const hit = r.hits.find((h) => h.key === keyOfWs(`${J}/2025-06-14-nixos-templates.md`));
    assert.ok(hit, 'the entry with "Bash Shebang" is found');
    assert.ok(r.hits.every((h) => !/README|activity/.test(h.key)));
    const [s, e] = hit.highlights[0];
    assert.match(hit.snippet.slice(s, e).toLowerCase(), /bash|shebang/);
    const none = await request<SearchResult>(panel.channel, 'search', { query: 'zebra-unicorn-xyz' });
    assert.deepEqual(none.hits, []);
  });

  it('Journal: "Edit" opens the markdown file in an editor', async () => {
    assert.equal(await panel.channel.receive({ type: 'edit', payload: { key: keyOfWs(`${J}/ups-notes.md`), line: 3 } }), true);
    const ed = await waitFor('the editor', () => vscode.window.visibleTextEditors.find((x) => x.document.uri.fsPath === wsPath(`${J}/ups-notes.md`)));
    assert.equal(ed.selection.active.line, 2);
  });

  it('Journal: New Journal Entry writes the retrospective template, links it from the README and opens it', async () => {
    const readmeBefore = readWs(`${J}/README.md`);
    const { result, failure } = await runScripted<vscode.Uri>(api, 'homelab.journal.newEntry', ['Phase 3: Kubernetes init']);
    assert.equal(failure, undefined);
    const date = localDay(new Date());
    const name = entryFileName({ date, title: 'Phase 3: Kubernetes init' });
    assert.equal(name, `${date}-phase-3-kubernetes-init.md`);
    assert.equal(result?.fsPath, wsPath(`${J}/${name}`));
    const text = readWs(`${J}/${name}`).toString();
    assert.equal(text, newEntry({ date, title: 'Phase 3: Kubernetes init' }));
    for (const part of ['## What We Built', '**Problem**', '**Root Cause**', '**Solution**', '## Key Learning Moments', '**Estimated**', '**Actual**', "## What's Next"]) assert.ok(text.includes(part), part);
    assert.ok(readWs(`${J}/README.md`).equals(linkEntryFromReadme(readmeBefore, name, 'Phase 3: Kubernetes init')), 'README changed only by the link');
    assert.match(readWs(`${J}/README.md`).toString(), new RegExp(`- \\[Phase 3: Kubernetes init\\]\\(\\./${name}\\)`));
    await waitFor('the new entry in an editor', () => vscode.window.activeTextEditor?.document.uri.fsPath === wsPath(`${J}/${name}`));
    assert.ok(panel.state!.entries.some((e) => e.key === keyOfWs(`${J}/${name}`) && e.date === date));
    // A second entry with the same title gets its own file.
    const again = await runScripted<vscode.Uri>(api, 'homelab.journal.newEntry', ['Phase 3: Kubernetes init']);
    assert.equal(again.result?.fsPath, wsPath(`${J}/${name.replace(/\.md$/, '-2.md')}`));
    // Dismissing the title prompt creates nothing.
    const count = readdirSync(wsPath(J)).length;
    const dismissed = await runScripted(api, 'homelab.journal.newEntry', [undefined]);
    assert.equal(dismissed.failure, undefined);
    assert.equal(readdirSync(wsPath(J)).length, count);
  });

  it('Journal: with a read-only README the entry is still created and the README is left alone', async () => {
    const readme = readWs(`${J}/README.md`);
    chmodSync(wsPath(`${J}/README.md`), 0o444);
    try {
      const { result, failure } = await runScripted<vscode.Uri>(api, 'homelab.journal.newEntry', ['Read-only readme']);
      assert.equal(failure, undefined);
      assert.ok(result && existsSync(result.fsPath));
      assert.ok(readWs(`${J}/README.md`).equals(readme));
    } finally {
      chmodSync(wsPath(`${J}/README.md`), 0o644);
    }
  });

  it('Journal: every activity append adds one line and keeps the bytes already there', async () => {
    const before = readWs(`${J}/activity.md`);
    await api.activity.append({ what: 'Build NixOS ISO', cluster: 'lab', target: 'pve1', durationMs: 754_000, result: 'ok' });
    await Promise.all(Array.from({ length: 8 }, (_, i) => api.activity.append({ what: `Clone guest 9000 to ${200 + i}`, cluster: 'lab', target: `pve2/${200 + i}`, durationMs: 1500 + i, result: 'ok' })));
    const after = readWs(`${J}/activity.md`);
    assert.ok(after.subarray(0, before.length).equals(before), 'existing bytes unchanged');
    const added = parseActivity(after).slice(2);
    assert.equal(added.length, 9, 'no append lost when operations finish together');
    assert.deepEqual({ ...added[0], line: 0, when: '' }, { line: 0, when: '', what: 'Build NixOS ISO', cluster: 'lab', target: 'pve1', durationMs: 754_000, result: 'ok' });
    assert.deepEqual(added.slice(1).map((a) => a.target).sort(), Array.from({ length: 8 }, (_, i) => `pve2/${200 + i}`).sort());
    assert.ok(Math.abs(Date.parse(added[0].when) - Date.now()) < 60_000, 'the time is now');
    // The panel shows it (it reloads on the file change).
    await waitFor('the panel to show the new activity', () => (panel.state?.activity.length ?? 0) >= 11);
  });

  it('Journal: no journal folder, no activity file (unless turned on); then created with its folder, kept as is without a final newline', async () => {
    await setSetting('journal.folder', `${ROOT}/fresh-journal`);
    try {
      await api.activity.append({ what: 'Deploy k3s', durationMs: 5, result: 'failed' });
      assert.throws(() => readWs(`${ROOT}/fresh-journal/activity.md`), 'a workspace without a journal folder gets no file it did not ask for');
      await setSetting('journal.activityLog', 'always');
      await api.activity.append({ what: 'Deploy k3s', durationMs: 5, result: 'failed' });
      const text = readWs(`${ROOT}/fresh-journal/activity.md`).toString();
      assert.match(text, /^# Activity log\n\n- \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ · \*\*failed\*\* · Deploy k3s · 5 ms\n$/);
      writeWs(`${ROOT}/fresh-journal/activity.md`, 'My own log\r\n- hand written line');
      await api.activity.append({ what: 'Template 9000', durationMs: 61_000, result: 'ok' });
      const after = readWs(`${ROOT}/fresh-journal/activity.md`).toString();
      assert.match(after, /^My own log\r\n- hand written line\r\n- \S+ · \*\*ok\*\* · Template 9000 · 1 min 1 s\r\n$/);
    } finally {
      await setSetting('journal.activityLog', undefined);
      await setSetting('journal.folder', J);
    }
  });

  it('Journal: activity.run times an operation and logs ok or failed with the reason', async () => {
    await setSetting('journal.folder', `${ROOT}/run-journal`);
    mkdirSync(wsPath(`${ROOT}/run-journal`), { recursive: true }); // the log is kept where a journal folder exists
    try {
      const v = await api.activity.run({ what: 'Build NixOS ISO', cluster: 'lab', target: 'pve1' }, async () => {
        await new Promise((r) => setTimeout(r, 120));
        return 42;
      });
      assert.equal(v, 42);
      await assert.rejects(api.activity.run({ what: 'Deploy k3s', target: 'k3s-1' }, async () => { throw new Error('node k3s-1 unreachable'); }), /unreachable/);
      const lines = parseActivity(readWs(`${ROOT}/run-journal/activity.md`));
      assert.deepEqual(lines.map((l) => [l.what, l.result, l.cluster, l.target]), [
        ['Build NixOS ISO', 'ok', 'lab', 'pve1'],
        ['Deploy k3s', 'failed: node k3s-1 unreachable', undefined, 'k3s-1'],
      ]);
      assert.ok((lines[0].durationMs ?? 0) >= 100, `measured ${lines[0].durationMs} ms`);
    } finally {
      await setSetting('journal.folder', J);
    }
  });

  it('Journal: "Add note to journal" appends a finished operation\'s summary to the entry the user picks', async () => {
    await panel.reload();
    const entry = `${J}/2025-06-14-nixos-templates.md`;
    const before = readWs(entry);
    const title = panel.state!.entries.find((e) => e.key === keyOfWs(entry))!.title;
    const line = panel.state!.activity.find((a) => a.what === 'Build NixOS ISO')!.line;
    api.prompts.script(title);
    assert.equal(await panel.channel.receive({ type: 'addNote', payload: { line } }), true);
    assert.equal(api.prompts.pendingAnswers, 0, 'the entry was picked');
    const after = readWs(entry);
    assert.ok(after.subarray(0, before.length).equals(before), 'the entry\'s bytes are kept; the note is appended');
    assert.match(after.subarray(before.length).toString(), /## Notes\n\n- \d{4}-\d\d-\d\d \d\d:\d\d UTC: Build NixOS ISO · cluster lab · target pve1 · ok \(\d{4}-\d\d-\d\dT[\d:]+Z\)\n$/);
    // Called by another feature with a summary (a finished task): same result, through editFile.
    const other = `${J}/ups-notes.md`;
    const o = readWs(other);
    const otherTitle = panel.state!.entries.find((e) => e.key === keyOfWs(other))!.title;
    const r = await runScripted<vscode.Uri>(api, 'homelab.journal.addNote', [otherTitle], { summary: 'Migrated guest 120 to pve2 in 63 s' });
    assert.equal(r.failure, undefined);
    const expected = appendNoteToEntry(o, 'Migrated guest 120 to pve2 in 63 s', { when: new Date() }).toString();
    assert.equal(readWs(other).toString().replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'T'), expected.replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'T'));
  });

  it('Journal: adding a note to a read-only entry fails with a clear message and changes nothing', async () => {
    const entry = `${J}/phase-1-retrospective.md`;
    const before = readWs(entry);
    const title = panel.state!.entries.find((e) => e.key === keyOfWs(entry))!.title;
    chmodSync(wsPath(entry), 0o444);
    try {
      const r = await runScripted(api, 'homelab.journal.addNote', [title], 'A note');
      assert.match(r.failure ?? '', /journal-ws\/journal\/phase-1-retrospective\.md is read-only; nothing was written/);
      assert.ok(readWs(entry).equals(before));
    } finally {
      chmodSync(wsPath(entry), 0o644);
    }
  });

  it('Journal: a 10 MB entry is listed but not rendered, with a clear message', async () => {
    const rel = `${J}/2026-02-02-huge.md`;
    writeWs(rel, Buffer.alloc(10.5 * 1048576, 'a'));
    try {
      await panel.reload();
      const e = panel.state!.entries.find((x) => x.key === keyOfWs(rel));
      assert.ok(e);
      assert.match(e.excerpt, /Larger than 10 MB/);
      const c = await request<EntryContent>(panel.channel, 'show', { key: keyOfWs(rel) });
      assert.equal(c.html, '');
      assert.match(c.error ?? '', /is 10\.5 MB; the panel shows entries up to 10 MB/);
    } finally {
      removeWs(rel);
    }
  });

  it('Journal: malformed messages from the page are rejected', async () => {
    const n = panel.channel.posted.length;
    for (const m of [
      { type: 'show', payload: { key: keyOfWs(`${J}/ups-notes.md`) } }, // request without id
      { type: 'show', id: 1, payload: { key: 42 } },
      { type: 'search', id: 1, payload: { query: 'x'.repeat(501) } },
      { type: 'openLink', payload: { key: 'k', href: 5 } },
      { type: 'addNote', payload: { line: 0 } },
      { type: 'edit', payload: { key: 'k', line: 1.5 } },
      { type: 'newEntry', payload: { title: 'sneaky' } },
      { type: 'runCommand', payload: {} },
      { payload: {} },
      [],
    ]) assert.equal(await panel.channel.receive(m), false, `accepted ${JSON.stringify(m)}`);
    assert.equal(panel.channel.posted.length, n);
    // A show request for a file outside the journal is answered with an error, not its content.
    const c = await request<EntryContent>(panel.channel, 'show', { key: vscode.Uri.file('/etc/passwd').toString() });
    assert.equal(c.html, '');
    assert.match(c.error ?? '', /not in the journal folder/);
  });

  it('Journal: the serializer restores the panel with its state', async () => {
    const restored = vscode.window.createWebviewPanel('homelab.journal', 'Journal', vscode.ViewColumn.Active, {});
    await api.journal.deserializeWebviewPanel(restored, { selected: keyOfWs(`${J}/ups-notes.md`), query: 'ups' });
    assert.equal(api.journal.current?.panel, restored);
    panel = api.journal.current!;
    const state = await panel.reload();
    assert.equal(state.exists, true);
    assert.ok(restored.webview.html.includes("script-src 'nonce-"));
    assert.match(restored.webview.html, /journal\.main\.js/);
    assert.ok(restored.webview.options.localResourceRoots?.every((u) => u.path.endsWith('/dist/webview')));
  });
});
