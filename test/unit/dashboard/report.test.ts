import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildDashboard, readActivity } from '../../../src/providers/markdown/dashboard';
import { barChart, lineChart, percentBars } from '../../../src/views/dashboard/charts';
import { buildReport } from '../../../src/views/dashboard/report';

const CONTEXT = path.resolve(__dirname, '../../fixtures/markdown/context');
const ACTIVITY = Buffer.from([
  '# Activity log', '',
  '- 2025-06-02T10:00:00Z · **ok** · Install Argo CD 2.11.3 for story 0.1.3 · cluster `pve` · target `k3s` · 2 min 0 s',
  '- 2025-06-03T10:00:00Z · **ok** · Create template 9000 from ISO · cluster `lab|2` · 6 min 5 s',
  '- 2025-06-04T10:00:00Z · **failed** · Clone <script>alert(1)</script> · 30.0 s',
  '- 2025-07-01T10:00:00Z · **ok** · Later work · 1.0 s', '',
].join('\n'));

function state() {
  const f = (n: string, label = n) => ({ key: `/ws/${label}`, label, bytes: readFileSync(path.join(CONTEXT, n)) });
  return buildDashboard({
    journal: [f('journal-readme.md', 'journal/README.md'), f('phase-2-retrospective.md', 'journal/phase-2-retrospective.md')],
    trackers: [f('Phase0-learning-tracker.md'), f('learning-goals.md')],
    activity: { key: '/ws/journal/activity.md', label: 'journal/activity.md', bytes: ACTIVITY },
    history: { available: false, reason: 'The workspace is not a git repository.', points: [], epicTitles: {} },
    now: new Date('2025-07-02T00:00:00Z'),
  });
}
const ops = readActivity(ACTIVITY).entries;

describe('dashboard: charts and the evidence report', () => {
  it('draws SVG with classes only (no style attribute, no script) and escapes every text', () => {
    const svgs = [
      lineChart('Progress <b>', [{ name: 'A & B', points: [{ t: 0, y: 10 }, { t: 86_400_000, y: 50 }] }], { yMax: 100 }),
      barChart('Hours "per" phase', ['Phase <1>'], [{ name: 'Estimated', values: [10] }, { name: 'Actual', values: [8] }], { ranges: [[[8, 12]], [undefined]] }),
      percentBars('Metrics', [{ label: '<img src=x>', percent: 150, detail: '(1/1)' }]),
      lineChart('Empty', []),
    ];
    for (const s of svgs) {
      assert.match(s, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="chart"/);
      assert.doesNotMatch(s, /style=|<script|<img|<b>|on\w+=/i);
      assert.doesNotMatch(s, /NaN|undefined/);
    }
    assert.match(svgs[0], /aria-label="Progress &lt;b&gt;"/);
    assert.match(svgs[0], /A &amp; B/);
    assert.match(svgs[1], /class="whisker"/, 'an estimate range draws a whisker');
    assert.match(svgs[2], /100% \(1\/1\)/, 'a percent is capped at 100');
    assert.match(svgs[3], /No data/);
  });

  it('exports a date range: operations, clusters, templates, applications with versions, stories, metrics, open items', () => {
    const r = buildReport(state(), ops, { from: '2025-06-01', to: '2025-06-30' });
    assert.equal(r.fileStem, 'evidence-2025-06-01-to-2025-06-30');
    assert.match(r.markdown, /^# Evidence report: 2025-06-01 to 2025-06-30\n/);
    assert.match(r.markdown, /Logged operations: 3, 0\.1 h/);
    assert.match(r.markdown, /\*\*Clusters\*\*: `lab\|2`, `pve`/);
    assert.match(r.markdown, /\*\*Templates\*\*: Create template 9000 from ISO/);
    assert.match(r.markdown, /\*\*Applications\*\*: Argo CD 2\.11\.3/);
    assert.match(r.markdown, /\| lab\\\|2 \|/, 'a pipe in a cell is escaped');
    assert.match(r.markdown, /1 operation\(s\) failed or were cancelled/);
    assert.doesNotMatch(r.markdown, /Later work/);
    assert.match(r.markdown, /## Open items\n\n- Story 0\.1\.3: /);
    assert.match(r.markdown, /- \[ \] Deploy production-grade Kubernetes clusters from scratch \(learning-goals\.md, Technical Mastery\)/);
    assert.match(r.markdown, /\*\*Bottom Line\*\*: Transform/);
    // HTML: self-contained, the charts inline, the hostile activity text escaped.
    assert.match(r.html, /^<!DOCTYPE html>/);
    assert.equal((r.html.match(/<svg /g) ?? []).length, 2);
    assert.doesNotMatch(r.html, /<script|src=|<link/i);
    assert.doesNotMatch(r.markdown + r.html, /<script>alert/);
  });

  it('exports a phase with its estimate and actual; a phase without dates gets no operations and says so', () => {
    const s = state();
    const r = buildReport(s, ops, { phase: s.phases[1] });
    assert.match(r.markdown, /^# Evidence report: Phase 2: NixOS Configuration Automation/);
    assert.match(r.markdown, /- Estimated \(Estimated without AI assistance\): 2-3 weeks of:/);
    assert.match(r.markdown, /- Actual \(Actual time with Claude Code\): 2-3 focused sessions totaling ~8 hours:/);
    assert.match(r.markdown, /Logged operations: 0, 0 h of operation time \(the phase has no dates in the journal/);
    assert.equal((r.html.match(/<svg /g) ?? []).length, 3, 'progress, activity, estimate vs actual');
    assert.equal(r.fileStem, 'evidence-phase-2');
  });
});
