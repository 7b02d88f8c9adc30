import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import {
  checklistEdit, lineHash, parseTracker, setStoryStatus, splitLines, toggleChecklist, type TrackerModel,
} from '../../src/providers/markdown';
import type { EditResult } from '../../src/protocol/common';
import type { TrackerFileView, TrackerState } from '../../src/protocol/tracker';
import type { TrackerPanel } from '../../src/views/tracker/panel';
import { activateHomelab } from './util';
import { closeAllEditors, fixture, keyOfWs, readWs, removeWs, request, runScripted, setSetting, writeWs, wsPath } from './webview-helpers';

const DIR = 'tracker-ws';
const files = {
  phase1: `${DIR}/Phase1.md`,
  broken: `${DIR}/Phase9-broken.md`,
  crlf: `${DIR}/windows/Phase2.md`,
  goals: `${DIR}/learning-goals.md`,
  empty: `${DIR}/Phase-empty.md`,
  bytes: `${DIR}/Phase5-bytes.md`,
};

/** A tracker holding invalid UTF-8 next to real rows and checkboxes. */
function invalidUtf8Tracker(): Buffer {
  return Buffer.concat([
    Buffer.from('# Tracker \xff with bad bytes\n\n### Epic 5.1: Bytes\n\n', 'latin1'),
    Buffer.from('| # | Story | Status |\n| --- | --- | --- |\n'),
    Buffer.from('| 5.1.1 | Caf'), Buffer.from([0xe9]), Buffer.from(' bytes in cell | Done |\n\n'),
    Buffer.from('- [ ] item with '), Buffer.from([0xfe, 0xfd]), Buffer.from('\r\n'),
    Buffer.from('* [ ] last line, no newline '), Buffer.from([0x80]),
  ]);
}

function fileOf(state: TrackerState, rel: string): TrackerFileView {
  const f = state.files.find((x) => x.key === keyOfWs(rel));
  assert.ok(f, `${rel} is not in the tracker (has: ${state.files.map((x) => x.label).join(', ')})`);
  return f;
}

function storyIn(model: TrackerModel, id: string) {
  for (const s of model.sections) for (const t of s.tables) for (const st of t.stories) if (st.id === id) return st;
  assert.fail(`story ${id} not found`);
}

function itemIn(model: TrackerModel, text: RegExp) {
  for (const s of model.sections) for (const c of s.checklist) if (text.test(c.text)) return c;
  assert.fail(`checklist item ${text} not found`);
}

describe('Tracker panel (extension host)', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let panel: TrackerPanel;

  before(async () => {
    api = await activateHomelab();
    removeWs(DIR);
    writeWs(files.phase1, fixture('tracker-phase1.md'));
    writeWs(files.broken, fixture('broken-table.md'));
    writeWs(files.crlf, fixture('tracker-crlf.md'));
    writeWs(files.goals, fixture('learning-goals.md'));
    writeWs(files.empty, '');
    writeWs(files.bytes, invalidUtf8Tracker());
    await setSetting('tracker.globs', [`${DIR}/**/Phase*.md`, `${DIR}/**/*learning*.md`]);
  });
  after(async () => {
    api.tracker.current?.panel.dispose();
    await setSetting('tracker.globs', undefined);
    removeWs(DIR);
    await closeAllEditors();
  });

  async function fresh(): Promise<TrackerState> {
    return panel.reload();
  }

  it('Tracker: homelab.tracker.open shows every tracker file with epics, stories, checklists and progress', async () => {
    const { failure } = await runScripted(api, 'homelab.tracker.open', []);
    assert.equal(failure, undefined);
    assert.ok(api.tracker.current, 'the panel is open');
    panel = api.tracker.current;
    assert.equal(panel.panel.viewType, 'homelab.tracker');
    const state = panel.state!;
    assert.deepEqual(state.files.map((f) => f.label).sort(), Object.values(files).sort());
    const p1 = fileOf(state, files.phase1);
    const epic = p1.sections.find((s) => s.epicId === '1.2');
    assert.ok(epic && epic.kind === 'epic');
    assert.deepEqual(epic.tables[0].stories.map((s) => s.id), ['1.2.1', '1.2.2', '1.2.3', '1.2.4', '1.2.5', '1.2.6', '1.2.2']);
    assert.deepEqual(epic.tables[0].stories.map((s) => s.status), ['done', 'done', 'in-progress', 'in-progress', 'todo', 'todo', 'done']);
    assert.equal(epic.progress.storiesDone, 3);
    assert.equal(epic.progress.percent, Math.round((3 * 100) / 7));
    const start = p1.sections.find((s) => /Start Here/.test(s.title))!;
    assert.equal(start.checklist.length, 8, 'the fenced fake item is not a task');
    assert.equal(start.checklist.filter((c) => c.checked).length, 4);
    // The panel's state is what the page receives, and it passes the page's validator.
    assert.ok(panel.channel.posted.some((m) => m.type === 'state'));
    // Goals sections of learning-goals.md are read as goals.
    assert.ok(fileOf(state, files.goals).sections.some((s) => s.kind === 'goals' && s.checklist.length > 0));
    // Overall progress sums the files.
    const sum = state.files.reduce((n, f) => n + f.progress.storiesTotal + f.progress.itemsTotal, 0);
    assert.equal(state.progress.storiesTotal + state.progress.itemsTotal, sum);
  });

  it('Tracker: shows an empty file, duplicate story IDs and ragged rows without failing', async () => {
    const state = await fresh();
    const empty = fileOf(state, files.empty);
    assert.deepEqual(empty.sections, []);
    assert.equal(empty.error, undefined);
    const p1 = fileOf(state, files.phase1);
    assert.ok(p1.issues.some((i) => i.severity === 'warning' && /1\.2\.2 is also used on line/.test(i.message)), 'duplicate id reported');
    assert.ok(p1.issues.some((i) => /Row has 2 cells, the header has 3/.test(i.message)), 'ragged row reported');
  });

  it('Tracker: setting a status adds a Status column on first use and changes nothing else, byte for byte', async () => {
    const before = readWs(files.phase1);
    const model = parseTracker(before, keyOfWs(files.phase1));
    const story = storyIn(model, '1.1.2');
    assert.equal(model.sections.find((s) => s.epicId === '1.1')!.tables[0].statusColumn, -1, 'precondition: no Status column yet');
    // The first status change in a table without a Status column asks how to record it.
    api.prompts.script('Add a Status column');
    const asked = api.prompts.asked.length;
    const r = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(files.phase1), line: story.locator.line, hash: story.locator.hash, status: 'in-progress' });
    assert.deepEqual(r, { ok: true, outcome: 'applied', message: undefined });
    assert.match(api.prompts.asked.slice(asked).join('\n'), /has no Status column\. How should Homelab record statuses\?/);
    assert.equal(api.prompts.pendingAnswers, 0);
    const after = readWs(files.phase1);
    assert.ok(after.equals(setStoryStatus(before, story.locator, 'in-progress')));
    // Only the table's lines differ: the header, the separator and the three rows.
    const a = splitLines(before);
    const b = splitLines(after);
    assert.equal(a.length, b.length);
    const changed = a.map((l, i) => (l.content.equals(b[i].content) && l.eol === b[i].eol ? -1 : i + 1)).filter((x) => x > 0);
    const table = model.sections.find((s) => s.epicId === '1.1')!.tables[0];
    assert.deepEqual(changed, [table.line, table.line + 1, table.line + 2, table.line + 3, table.line + 4]);
    assert.match(b[story.locator.line - 1].content.toString(), /\| In progress \|$/);
    // The page got the new state: the story is in progress now.
    const st = fileOf(panel.state!, files.phase1).sections.find((s) => s.epicId === '1.1')!.tables[0].stories.find((s) => s.id === '1.1.2');
    assert.equal(st?.status, 'in-progress');
  });

  it('Tracker: toggling a checkbox flips exactly one byte', async () => {
    const before = readWs(files.phase1);
    const item = itemIn(parseTracker(before, keyOfWs(files.phase1)), /^Reserve static IPs/);
    assert.equal(item.checked, false);
    const r = await request<EditResult>(panel.channel, 'toggle', { key: keyOfWs(files.phase1), line: item.locator.line, hash: item.locator.hash, checked: true });
    assert.equal(r.ok, true);
    assert.equal(r.outcome, 'applied');
    const after = readWs(files.phase1);
    assert.equal(after.length, before.length);
    const diff = [...after].map((x, i) => (x === before[i] ? -1 : i)).filter((i) => i >= 0);
    assert.equal(diff.length, 1);
    assert.equal(String.fromCharCode(after[diff[0]]), 'x');
    assert.equal(String.fromCharCode(before[diff[0]]), ' ');
  });

  it('Tracker: two quick clicks in one file both land, each applied to what the other wrote', async () => {
    await fresh();
    const key = keyOfWs(files.phase1);
    const before = readWs(files.phase1);
    const model = parseTracker(before, key);
    const open = model.sections.flatMap((s) => s.checklist).filter((c) => !c.checked).slice(0, 2);
    const story = model.sections.flatMap((s) => s.tables.flatMap((t) => t.stories)).find((st) => st.status !== 'done');
    assert.ok(open.length === 2 && story, 'the fixture has two open items and an open story');
    // Sent together, as a double click does: the panel must handle them one after the other.
    const results = await Promise.all([
      request<EditResult>(panel.channel, 'toggle', { key, line: open[0].locator.line, hash: open[0].locator.hash, checked: true }),
      request<EditResult>(panel.channel, 'toggle', { key, line: open[1].locator.line, hash: open[1].locator.hash, checked: true }),
      request<EditResult>(panel.channel, 'setStatus', { key, line: story.locator.line, hash: story.locator.hash, status: 'done' }),
    ]);
    for (const r of results) {
      assert.equal(r.ok, true, r.message);
      // Not "changed on disk": the second click is made against the version the first one wrote.
      assert.equal(r.outcome, 'applied', r.message);
    }
    const after = parseTracker(readWs(files.phase1), key);
    const items = after.sections.flatMap((s) => s.checklist);
    for (const c of open) assert.equal(items.find((x) => x.text === c.text)?.checked, true, `${c.text} lost its edit`);
    assert.equal(storyIn(after, story.id).status, 'done');
  });

  it('Tracker: a reload re-reads only the files that changed', async () => {
    await fresh();
    const counts = () => new Map(panel.readCounts);
    const before = counts();
    await fresh();
    assert.deepEqual(counts(), before, 'nothing changed: nothing read');
    writeWs(files.goals, Buffer.concat([readWs(files.goals), Buffer.from('\n- [ ] added outside\n')]));
    // The file watcher may reload first; either way the goals file is read once and nothing else.
    const state = await fresh();
    const after = counts();
    const readSince = [...after].filter(([k, n]) => n !== (before.get(k) ?? 0)).map(([k, n]) => [k, n - (before.get(k) ?? 0)]);
    assert.deepEqual(readSince, [[keyOfWs(files.goals), 1]]);
    assert.ok(fileOf(state, files.goals).sections.some((s) => s.checklist.some((c) => c.html.includes('added outside'))), 'the change is shown');
  });

  it('Tracker: a write replaces the file atomically: it never goes missing, no temp file is left', async () => {
    await fresh();
    const key = keyOfWs(files.phase1);
    let missing = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        if (!existsSync(wsPath(files.phase1))) missing++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let i = 0; i < 12; i++) {
        const bytes = readWs(files.phase1);
        const item = itemIn(parseTracker(bytes, key), /^Flash the Proxmox installer/);
        const r = await request<EditResult>(panel.channel, 'toggle', { key, line: item.locator.line, hash: item.locator.hash, checked: !item.checked });
        assert.equal(r.ok, true, r.message);
      }
    } finally {
      polling = false;
      await poll;
    }
    assert.equal(missing, 0, 'the file was missing during a write');
    assert.deepEqual(readdirSync(wsPath(DIR)).filter((n) => n.endsWith('.homelab-tmp')), []);
  });

  it('Tracker: CRLF files and invalid UTF-8 bytes survive an edit', async () => {
    await fresh();
    const crlf = readWs(files.crlf);
    const m = parseTracker(crlf, keyOfWs(files.crlf));
    const st = m.sections[0].tables[0].stories[0];
    const r = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(files.crlf), line: st.locator.line, hash: st.locator.hash, status: 'done' });
    assert.equal(r.ok, true, r.message);
    assert.ok(readWs(files.crlf).equals(setStoryStatus(crlf, st.locator, 'done')));
    assert.ok(readWs(files.crlf).includes('\r\n'), 'line endings kept');

    const bytes = readWs(files.bytes);
    const item = parseTracker(bytes, keyOfWs(files.bytes)).sections[0].checklist[0];
    const r2 = await request<EditResult>(panel.channel, 'toggle', { key: keyOfWs(files.bytes), line: item.locator.line, hash: item.locator.hash, checked: true });
    assert.equal(r2.ok, true, r2.message);
    const after = readWs(files.bytes);
    assert.ok(after.equals(toggleChecklist(bytes, item.locator, true)));
    assert.ok(after.includes(Buffer.from([0xfe, 0xfd])) && after.includes(Buffer.from([0xe9])) && after[after.length - 1] === 0x80, 'invalid bytes kept as they were');
  });

  it('Tracker: "Mark the story ID" changes one cell; the answer is remembered for that file; dismissing the question changes nothing', async () => {
    const rel = `${DIR}/Phase-marks.md`;
    const text = '# Marks\n\n### Epic 9.1: No status column\n\n| ID | Story | Goal |\n|----|-------|------|\n| 9.1.1 | First | One |\n| 9.1.2 | Second | Two |\n';
    writeWs(rel, Buffer.from(text));
    try {
      await fresh();
      const row = (id: string) => storyIn(parseTracker(readWs(rel), keyOfWs(rel)), id).locator;
      // Dismissed: nothing is written and nothing remembered.
      api.prompts.script(undefined);
      const r0 = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(rel), line: row('9.1.1').line, hash: row('9.1.1').hash, status: 'done' });
      assert.equal(r0.ok, false);
      assert.equal(readWs(rel).toString(), text);
      api.prompts.script('Mark the story ID');
      const r1 = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(rel), line: row('9.1.1').line, hash: row('9.1.1').hash, status: 'done' });
      assert.equal(r1.ok, true, r1.message);
      assert.equal(readWs(rel).toString(), text.replace('| 9.1.1 | First', '| 9.1.1 ✅ | First'), 'exactly one cell changed');
      // Remembered: the second change asks nothing (no scripted answer is left to give).
      const asked = api.prompts.asked.length;
      const r2 = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(rel), line: row('9.1.2').line, hash: row('9.1.2').hash, status: 'in-progress' });
      assert.equal(r2.ok, true, r2.message);
      assert.equal(api.prompts.asked.length, asked, 'not asked again for this file');
      assert.match(readWs(rel).toString(), /\| 9\.1\.2 🔄 \| Second/);
      const st = fileOf(panel.state!, rel).sections[0].tables[0].stories.map((x) => [x.id, x.status]);
      assert.deepEqual(st, [['9.1.1', 'done'], ['9.1.2', 'in-progress']]);
    } finally {
      removeWs(rel);
    }
  });

  it('Tracker: an outside edit racing a panel edit is re-applied on the new bytes, never overwritten', async () => {
    await fresh();
    const shown = readWs(files.phase1);
    const story = storyIn(parseTracker(shown, keyOfWs(files.phase1)), '1.2.5');
    // Someone edits the file in another editor after the panel read it: a line above moves the story.
    const outside = Buffer.concat([Buffer.from('> Edited outside Homelab\n\n'), shown]);
    writeWs(files.phase1, outside);
    const r = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(files.phase1), line: story.locator.line, hash: story.locator.hash, status: 'done' });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.outcome, 'reapplied');
    assert.match(r.message ?? '', /changed on disk/);
    const after = readWs(files.phase1);
    assert.ok(after.subarray(0, 26).equals(Buffer.from('> Edited outside Homelab\n\n')), 'the outside edit is kept');
    const expected = setStoryStatus(outside, { ...story.locator, line: story.locator.line + 2 }, 'done');
    assert.ok(after.equals(expected), 'only the status cell changed on top of the outside edit');
  });

  it('Tracker: an outside edit of the same row refuses the panel edit with a message and keeps the outside bytes', async () => {
    await fresh();
    const shown = readWs(files.phase1);
    const story = storyIn(parseTracker(shown, keyOfWs(files.phase1)), '1.2.6');
    const outside = Buffer.from(shown.toString('latin1').replace('| 1.2.6 | Document restore drill |', '| 1.2.6 | Document AND rehearse the restore drill |'), 'latin1');
    assert.ok(!outside.equals(shown));
    writeWs(files.phase1, outside);
    const r = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(files.phase1), line: story.locator.line, hash: story.locator.hash, status: 'done' });
    assert.equal(r.ok, false);
    assert.match(r.message ?? '', /changed outside Homelab.*nothing was written/);
    assert.match(r.message ?? '', /tracker-ws\/Phase1\.md/, 'the message names the file by its workspace path');
    assert.ok(readWs(files.phase1).equals(outside), 'the outside edit was not overwritten');
    // The panel reloaded: it now shows the outside text.
    const st = fileOf(panel.state!, files.phase1).sections.find((s) => s.epicId === '1.2')!.tables[0].stories.find((s) => s.id === '1.2.6')!;
    assert.match(st.cells[1], /rehearse/);
  });

  it('Tracker: a table it cannot parse is shown as an error with its line and never written', async () => {
    const state = await fresh();
    const broken = fileOf(state, files.broken);
    const missing = broken.issues.find((i) => i.severity === 'error' && /no separator row/.test(i.message));
    assert.equal(missing?.line, 5);
    const mismatch = broken.issues.find((i) => /separator row has 2/.test(i.message));
    assert.equal(mismatch?.line, 17);
    const bytes = readWs(files.broken);
    const row = splitLines(bytes)[5];
    assert.match(row.content.toString(), /^\| 9\.1\.1/);
    const r = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(files.broken), line: 6, hash: lineHash(row.content), status: 'todo' });
    assert.equal(r.ok, false);
    assert.match(r.message ?? '', /:5: Table has no separator row.*does not rewrite what it cannot parse/);
    assert.ok(readWs(files.broken).equals(bytes));
    // The valid table of the same file still edits.
    const ok = parseTracker(bytes, keyOfWs(files.broken)).sections.find((s) => s.epicId === '9.2')!.tables[0].stories[0];
    const r2 = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(files.broken), line: ok.locator.line, hash: ok.locator.hash, status: 'done' });
    assert.equal(r2.ok, true, r2.message);
  });

  it('Tracker: a read-only file is marked read-only and an edit is refused with nothing written', async () => {
    const bytes = readWs(files.goals);
    chmodSync(wsPath(files.goals), 0o444);
    try {
      const state = await fresh();
      assert.equal(fileOf(state, files.goals).readonly, true, 'FileStat.permissions Readonly reaches the panel');
      assert.equal(fileOf(state, files.phase1).readonly, false);
      const item = itemIn(parseTracker(bytes, keyOfWs(files.goals)), /.*/);
      const r = await request<EditResult>(panel.channel, 'toggle', { key: keyOfWs(files.goals), line: item.locator.line, hash: item.locator.hash, checked: !item.checked });
      assert.equal(r.ok, false);
      assert.match(r.message ?? '', /read-only; nothing was written/);
      assert.ok(readWs(files.goals).equals(bytes));
    } finally {
      chmodSync(wsPath(files.goals), 0o644);
    }
  });

  it('Tracker: a 10 MB file is listed with a clear message and never edited', async () => {
    const rel = `${DIR}/Phase-huge.md`;
    const row = '| 7.1.1 | A story | Goal | Todo |\n';
    const big = Buffer.from(`# Huge\n\n### Epic 7.1: Big\n\n| # | Story | Goal | Status |\n| - | - | - | - |\n${row.repeat(Math.ceil((10.5 * 1048576) / row.length))}`);
    writeWs(rel, big);
    try {
      const state = await fresh();
      const f = fileOf(state, rel);
      assert.match(f.error ?? '', /is 10\.5 MB; Homelab edits markdown files up to 10 MB/);
      const r = await request<EditResult>(panel.channel, 'setStatus', { key: keyOfWs(rel), line: 7, hash: lineHash(Buffer.from(row.trimEnd())), status: 'done' });
      assert.equal(r.ok, false);
      assert.match(r.message ?? '', /10 MB/);
      assert.ok(readWs(rel).equals(big));
    } finally {
      removeWs(rel);
    }
  });

  it('Tracker: malformed messages from the page are rejected and change nothing', async () => {
    await fresh();
    const bytes = readWs(files.phase1);
    const item = itemIn(parseTracker(bytes, keyOfWs(files.phase1)), /^Label the cables/);
    const good = { key: keyOfWs(files.phase1), line: item.locator.line, hash: item.locator.hash, checked: false };
    const before = panel.channel.posted.length;
    const bad: unknown[] = [
      'toggle',
      null,
      { type: 'toggle', payload: good }, // a request without id
      { type: 'toggle', id: 1, payload: { ...good, line: String(good.line) } },
      { type: 'toggle', id: 1, payload: { ...good, checked: 'false' } },
      { type: 'toggle', id: 1, payload: { ...good, extra: true } },
      { type: 'toggle', id: -1, payload: good },
      { type: 'setStatus', id: 2, payload: { key: good.key, line: good.line, hash: good.hash, status: 'finished' } },
      { type: 'deleteFile', id: 3, payload: { key: good.key } },
      { type: 'toggle', id: 4, payload: good, more: 1 },
    ];
    for (const m of bad) assert.equal(await panel.channel.receive(m), false, `accepted ${JSON.stringify(m)}`);
    assert.equal(panel.channel.posted.length, before, 'no response to a rejected message');
    assert.ok(readWs(files.phase1).equals(bytes));
    // A well-formed edit of a file the panel does not show is refused too.
    writeWs(`${DIR}/not-a-tracker.md`, '- [ ] x\n');
    const r = await request<EditResult>(panel.channel, 'toggle', { key: keyOfWs(`${DIR}/not-a-tracker.md`), line: 1, hash: lineHash(Buffer.from('- [ ] x')), checked: true });
    assert.equal(r.ok, false);
    assert.equal(readWs(`${DIR}/not-a-tracker.md`).toString(), '- [ ] x\n');
    // And the same valid message is accepted.
    const ok = await request<EditResult>(panel.channel, 'toggle', good);
    assert.equal(ok.ok, true);
    assert.ok(readWs(files.phase1).equals(checklistEdit(item.locator, false)(bytes) as Buffer));
  });

  it('Tracker: the serializer restores a panel after a reload, and the globs setting is followed', async () => {
    const restored = vscode.window.createWebviewPanel('homelab.tracker', 'Learning Tracker', vscode.ViewColumn.Active, {});
    await api.tracker.deserializeWebviewPanel(restored, { collapsed: [], filter: 'open', scrollY: 0 });
    assert.equal(api.tracker.current?.panel, restored);
    panel = api.tracker.current!;
    assert.ok(restored.webview.html.includes("script-src 'nonce-"), 'strict CSP with a nonce');
    assert.match(restored.webview.html, /default-src 'none'/);
    await setSetting('tracker.globs', [`${DIR}/windows/*.md`]);
    const state = await fresh();
    assert.deepEqual(state.files.map((f) => f.label), [files.crlf]);
    await runScripted(api, 'homelab.tracker.refresh', []);
    assert.deepEqual(panel.state!.files.map((f) => f.label), [files.crlf]);
    await setSetting('tracker.globs', [`${DIR}/**/Phase*.md`, `${DIR}/**/*learning*.md`]);
  });
});
