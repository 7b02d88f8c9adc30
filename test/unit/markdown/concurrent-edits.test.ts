// Issue 12 item 2: concurrent panel edits of one file and outside edits in between. Every edit
// editFile accepts must be in the file at the end, and so must every outside edit.
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { editFile, nodeFileStore, versionOf, type FileStore } from '../../../src/providers/markdown/store';
import { checklistEdit, storyStatusEdit } from '../../../src/providers/markdown/edit';
import { ConflictError } from '../../../src/providers/markdown/errors';
import { editableItems, parseTracker } from '../../../src/providers/markdown/tracker';

const STORIES = 5;
const ITEMS = 8;

function trackerText(): string {
  const rows = Array.from({ length: STORIES }, (_, i) => `| S${i + 1} | story ${i + 1} | Todo |`);
  const items = Array.from({ length: ITEMS }, (_, i) => `- [ ] item ${i + 1}`);
  return ['# Phase 1', '', '| ID | Story | Status |', '|----|-------|--------|', ...rows, '', '## Goals', '', ...items, ''].join('\n');
}

/**
 * node:fs store that performs scheduled outside edits (synchronous appends, so nothing of ours runs
 * in between) just before chosen store calls. Never before a rename: rename(2) has no
 * compare-and-swap, so an edit landing between our last check and the rename is the one window
 * no file API can close.
 */
function racingStore(file: string, at: Set<number>, outside: string[]): FileStore {
  const base = nodeFileStore();
  let calls = 0;
  const maybe = (): void => {
    if (at.has(calls++)) {
      const line = `outside ${outside.length + 1}`;
      appendFileSync(file, `${line}\n`);
      outside.push(line);
    }
  };
  return {
    read: async (p) => { maybe(); return base.read(p); },
    write: async (p, d) => { maybe(); return base.write(p, d); },
    stat: async (p) => { maybe(); return base.stat(p); },
    rename: (a, b) => base.rename(a, b),
    delete: (p) => base.delete(p),
  };
}

describe('concurrent edits of one file (property)', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(tmpdir(), 'homelab-conc-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every accepted edit and every outside edit is in the file', async function () {
    this.timeout(30_000);
    let run = 0;
    let accepted = 0;
    let outsideTotal = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(Array.from({ length: STORIES + ITEMS }, (_, i) => i), { minLength: 2 }),
        fc.uniqueArray(fc.nat(60), { maxLength: 4 }),
        async (targets, outsideAt) => {
          const file = path.join(dir, `t${run++}.md`);
          writeFileSync(file, trackerText());
          const bytes = readFileSync(file);
          // Every edit is made against the version the panel showed before any of them ran.
          const version = versionOf(bytes, { mtime: 0 });
          const all = editableItems(parseTracker(bytes, file));
          const outside: string[] = [];
          const store = racingStore(file, new Set(outsideAt), outside);
          const results = await Promise.allSettled(targets.map((t) => {
            const it = all[t];
            return editFile(store, file, version, it.kind === 'story' ? storyStatusEdit(it.story.locator, 'done') : checklistEdit(it.item.locator, true));
          }));
          const final = readFileSync(file);
          const model = editableItems(parseTracker(final, file));
          const text = final.toString('utf8');
          results.forEach((r, i) => {
            const it = all[targets[i]];
            if (r.status === 'rejected') {
              // The only acceptable refusal is an outside change the edit could not be re-applied to.
              assert.ok(r.reason instanceof ConflictError, String(r.reason));
              return;
            }
            accepted++;
            const now = model.find((m) => (m.kind === 'story' && it.kind === 'story' && m.story.id === it.story.id)
              || (m.kind === 'check' && it.kind === 'check' && m.item.text === it.item.text));
            assert.ok(now, 'edited item vanished');
            if (now.kind === 'story') assert.equal(now.story.status, 'done', `${now.story.id} lost its edit (${r.value.outcome})`);
            else assert.equal(now.item.checked, true, `${now.item.text} lost its edit (${r.value.outcome})`);
          });
          for (const line of outside) assert.ok(text.includes(`${line}\n`), `outside edit "${line}" was overwritten`);
          outsideTotal += outside.length;
        },
      ),
      { numRuns: 60, seed: 1212 },
    );
    // The property saw both kinds of traffic (a vacuous run would prove nothing).
    assert.ok(accepted > 100, `accepted ${accepted}`);
    assert.ok(outsideTotal > 20, `outside ${outsideTotal}`);
  });
});
