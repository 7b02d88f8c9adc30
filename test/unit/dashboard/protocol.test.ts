import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildDashboard } from '../../../src/providers/markdown/dashboard';
import { isDashboardState, isDashboardViewState, isValidDashboardToHost, isValidDashboardToWebview } from '../../../src/protocol/dashboard';

const CONTEXT = path.resolve(__dirname, '../../fixtures/markdown/context');

describe('dashboard: protocol', () => {
  const f = (n: string) => ({ key: `/ws/${n}`, label: n, bytes: readFileSync(path.join(CONTEXT, n)) });
  const state = buildDashboard({
    journal: [f('journal-readme.md'), f('phase-2-retrospective.md')], trackers: [f('Phase0-learning-tracker.md'), f('learning-goals.md')],
    history: { available: false, reason: 'no git', points: [], epicTitles: {} },
  });

  it('the state built from the user files passes the page-side validation', () => {
    assert.equal(isDashboardState(state), true);
    assert.equal(isValidDashboardToWebview({ type: 'state', payload: state }).ok, true);
  });

  it('refuses malformed states and messages', () => {
    assert.equal(isDashboardState({ ...state, extra: 1 }), false, 'closed shapes');
    assert.equal(isDashboardState({ ...state, weeks: [{ week: '2025-06-02', operations: 'x' }] }), false);
    assert.equal(isDashboardState({ ...state, history: { ...state.history, points: [{ commit: 'a', date: 'd', subject: 's', overall: { done: 1, inProgress: 0, total: 1 }, epics: { e: { done: NaN, inProgress: 0, total: 1 } } }] } }), false);
    const bad: unknown[] = [
      { type: 'export', payload: { from: '2025-6-1' } },
      { type: 'export', payload: { phase: 'x'.repeat(33) } },
      { type: 'export', payload: { phase: '1', extra: true } },
      { type: 'open', payload: { key: 'k', line: 0 } },
      { type: 'open', payload: { key: 'k', line: 1.5 } },
      { type: 'delete', payload: {} },
      { type: 'link', payload: { storyId: '0.1' + '.1'.repeat(20) } },
      { type: 'link', payload: { storyId: 'abc' } },
      { type: 'ready' },
      'ready',
    ];
    for (const m of bad) assert.equal(isValidDashboardToHost(m).ok, false, JSON.stringify(m));
    assert.equal(isValidDashboardToHost({ type: 'export', payload: { from: '2025-06-01', to: '2025-06-30' } }).ok, true);
    assert.equal(isValidDashboardToHost({ type: 'export', payload: {} }).ok, true);
    assert.equal(isValidDashboardToHost({ type: 'link', payload: { storyId: '0.1.3' } }).ok, true);
    assert.equal(isDashboardViewState({ scrollY: 10 }), true);
    assert.equal(isDashboardViewState({ scrollY: '10' }), false);
  });
});
