import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { durationKind, parseMetrics } from '../../../src/providers/markdown/metrics';

const CONTEXT = path.resolve(__dirname, '../../fixtures/markdown/context');
const ctx = (n: string): Buffer => readFileSync(path.join(CONTEXT, n));

describe('dashboard: success metrics and checklists', () => {
  it('reads the journal README metrics: bold labels followed by bullets, no tick boxes', () => {
    const doc = parseMetrics(ctx('journal-readme.md'), 'README.md');
    assert.equal(doc.metrics.length, 1);
    const m = doc.metrics[0];
    assert.equal(m.title, 'Success Metrics');
    assert.deepEqual(m.groups.map((g) => [g.title, g.items.length, g.checkable]), [
      ['Technical Metrics', 4, 0], ['Learning Metrics', 4, 0], ['AI Partnership Metrics', 4, 0],
    ]);
    assert.equal(m.groups[1].items[0].text, 'Time to competency with new technologies');
    assert.equal(m.groups[1].items[0].kind, 'bullet');
    assert.equal(m.percent, 0);
    // The phase duration is a stated duration of the README.
    const d = doc.durations.find((x) => x.label === 'Duration');
    assert.ok(d);
    assert.equal(d.duration.minHours, 8);
    assert.equal(d.duration.maxHours, 12);
    assert.equal(d.line, 24);
  });

  it('reads the learning goals checklists per sub-heading, mojibake heading kept as written', () => {
    const doc = parseMetrics(ctx('learning-goals.md'), 'learning-goals.md');
    assert.equal(doc.metrics.length, 1);
    const m = doc.metrics[0];
    assert.match(m.title, /Success Metrics$/);
    assert.ok(m.title.startsWith('ð'), 'the double-encoded emoji stays as bytes say');
    assert.deepEqual(m.groups.map((g) => [g.title, g.checked, g.checkable]), [
      ['Technical Mastery', 0, 5], ['Practical Experience', 0, 4], ['Architectural Insights', 0, 4],
    ]);
    assert.equal(m.checkable, 13);
    assert.deepEqual(doc.checklists.map((c) => [c.title, c.total]), [['Technical Mastery', 5], ['Practical Experience', 4], ['Architectural Insights', 4]]);
    const bottom = doc.statements.find((s) => s.label === 'Bottom Line');
    assert.ok(bottom);
    assert.match(bottom.text, /evidence to back up architectural recommendations/);
  });

  it('reads the retrospective estimate without AI and the actual time', () => {
    const doc = parseMetrics(ctx('phase-2-retrospective.md'), 'phase-2-retrospective.md');
    const est = doc.durations.find((d) => d.kind === 'estimate');
    const act = doc.durations.find((d) => d.kind === 'actual');
    assert.ok(est && act);
    assert.equal(est.label, 'Estimated without AI assistance');
    assert.equal(est.duration.text, '2-3 weeks of:');
    assert.deepEqual([est.duration.minHours, est.duration.maxHours], [80, 120]);
    assert.equal(act.duration.minHours, 8);
    assert.equal(act.duration.approximate, true);
    assert.match(act.duration.text, /2-3 focused sessions totaling ~8 hours/);
    assert.equal(doc.metrics.length, 0);
  });

  it('counts checked items (x and X), nested items, and keeps unknown shapes as text', () => {
    const md = [
      '# Goals', '', '## Success Metrics', '', 'Some intro paragraph.', '', '### Technical',
      '- [x] Deployed', '- [X] Upgraded', '  - [ ] Nested not done', '- [ ] Monitoring', '',
      '| a | b |', '|---|---|', '| 1 | 2 |', '', '**Effort**: a weekend', '',
      '```', '- [ ] in code, not an item', '```', '', '## Other', '- [x] elsewhere',
    ].join('\n');
    const doc = parseMetrics(Buffer.from(md), 'g.md');
    const m = doc.metrics[0];
    assert.equal(m.groups[0].title, '');
    assert.deepEqual(m.groups[0].items.map((i) => i.kind), ['text']);
    const g = m.groups[1];
    assert.equal(g.title, 'Technical');
    assert.equal(g.checked, 2);
    assert.equal(g.checkable, 4);
    assert.equal(m.percent, 50);
    const texts = g.items.filter((i) => i.kind === 'text').map((i) => i.text);
    assert.ok(texts.includes('| 1 | 2 |'), 'a table row is kept as text');
    assert.ok(texts.includes('**Effort**: a weekend'));
    assert.ok(texts.includes('- [ ] in code, not an item'), 'code is kept, not counted');
    const effort = doc.durations.find((d) => d.label === 'Effort');
    assert.deepEqual(effort?.duration, { text: 'a weekend' });
    assert.deepEqual(doc.checklists.map((c) => [c.title, c.checked, c.total, c.path]), [['Technical', 2, 4, ['Goals', 'Success Metrics']], ['Other', 1, 1, ['Goals']]]);
  });

  it('handles CRLF, an empty file and a file without metrics', () => {
    const crlf = parseMetrics(Buffer.from('## Success Metrics\r\n- [x] a\r\n- [ ] b\r\n'), 'c.md');
    assert.equal(crlf.metrics[0].checked, 1);
    assert.equal(crlf.metrics[0].groups[0].items[0].text, 'a');
    const empty = parseMetrics(new Uint8Array(0), 'e.md');
    assert.deepEqual([empty.metrics, empty.checklists, empty.durations], [[], [], []]);
    assert.equal(parseMetrics(ctx('Phase0-learning-tracker.md'), 'p.md').metrics.length, 0);
  });

  it('classifies duration labels', () => {
    assert.equal(durationKind('Actual time with Claude Code'), 'actual');
    assert.equal(durationKind('Estimated without AI assistance'), 'estimate');
    assert.equal(durationKind('Duration'), 'duration');
    assert.equal(durationKind('Time spent'), 'actual');
  });
});
