import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { editableItems, parseTracker, STORY_STATUSES, StoryStatus } from '../../../src/providers/markdown/tracker';
import { setStoryStatus, toggleChecklist } from '../../../src/providers/markdown/edit';
import { changedLines, fixture, invalidUtf8Tracker, mixedEol } from './helpers';

const DOCS: Array<[string, Buffer]> = [
  ['tracker-phase1.md', fixture('tracker-phase1.md')],
  ['tracker-crlf.md', fixture('tracker-crlf.md')],
  ['learning-goals.md', fixture('learning-goals.md')],
  ['broken-table.md', fixture('broken-table.md')],
  ['invalid-utf8', invalidUtf8Tracker()],
  ['mixed-eol', mixedEol(fixture('tracker-phase1.md'))],
];

const editArb = fc.record({ pick: fc.nat(), status: fc.constantFrom<StoryStatus>(...STORY_STATUSES), checked: fc.boolean() });

describe('random edits (property)', () => {
  for (const [name, original] of DOCS) {
    it(`only the targeted lines change and the parse shows the new value: ${name}`, () => {
      let edits = 0;
      fc.assert(
        fc.property(fc.array(editArb, { minLength: 1, maxLength: 12 }), (ops) => {
          let doc = original;
          for (const op of ops) {
            const model = parseTracker(doc, name);
            const all = editableItems(model);
            if (all.length === 0) return;
            const target = all[op.pick % all.length];
            let out: Buffer;
            if (target.kind === 'story') {
              const { story, table } = target;
              out = setStoryStatus(doc, story.locator, op.status);
              const changed = changedLines(doc, out);
              const allowed = table.statusColumn >= 0 ? [story.locator.line - 1] : Array.from({ length: table.endLine - table.line + 1 }, (_, i) => table.line - 1 + i);
              for (const c of changed) assert.ok(allowed.includes(c), `line ${c + 1} changed, allowed ${allowed.map((x) => x + 1)}`);
              const after = editableItems(parseTracker(out, name)).find((x) => x.kind === 'story' && x.story.locator.line === story.locator.line);
              assert.ok(after && after.kind === 'story', 'story vanished');
              assert.equal(after.story.status, op.status);
              assert.equal(after.story.id, story.id);
              assert.equal(after.story.text, story.text);
            } else {
              const { item } = target;
              out = toggleChecklist(doc, item.locator, op.checked);
              const changed = changedLines(doc, out);
              assert.deepEqual(changed, item.checked === op.checked ? [] : [item.locator.line - 1]);
              const after = editableItems(parseTracker(out, name)).find((x) => x.kind === 'check' && x.item.locator.line === item.locator.line);
              assert.ok(after && after.kind === 'check');
              assert.equal(after.item.checked, op.checked);
              assert.equal(after.item.text, item.text);
            }
            // Structure is stable: same number of items, same error issues (never rewritten regions).
            const m2 = parseTracker(out, name);
            assert.equal(editableItems(m2).length, all.length);
            assert.deepEqual(m2.issues.filter((i) => i.severity === 'error'), model.issues.filter((i) => i.severity === 'error'));
            doc = out;
            edits++;
          }
        }),
        { numRuns: 60, seed: 20261121 },
      );
      assert.ok(edits >= 200, `only ${edits} edits applied`);
    });
  }
});
