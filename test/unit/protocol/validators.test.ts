import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { isEnvelope, validateMessage } from '../../../src/protocol/envelope';
import { isJournalState, isJournalViewState, isValidJournalToHost, isValidJournalToWebview } from '../../../src/protocol/journal';
import { isTrackerState, isTrackerViewState, isValidTrackerToHost, isValidTrackerToWebview } from '../../../src/protocol/tracker';
import { isArrayOf, isShape, isString } from '../../../src/protocol/validate';

const KEY = 'file:///ws/docs/Phase1.md';
const HASH = '0123456789abcdef';

describe('protocol: the envelope', () => {
  it('accepts {type, id?, payload} and nothing else', () => {
    assert.equal(isEnvelope({ type: 'ready', payload: {} }), true);
    assert.equal(isEnvelope({ type: 'show', id: 3, payload: { key: KEY } }), true);
    for (const bad of [null, undefined, 'ready', 42, [], {}, { type: 'ready' }, { type: 1, payload: {} }, { type: 'x', id: 0, payload: {} },
      { type: 'x', id: 1.5, payload: {} }, { type: 'x', id: '1', payload: {} }, { type: 'x', payload: {}, extra: true }, { type: 'x'.repeat(65), payload: {} }]) {
      assert.equal(isEnvelope(bad), false, JSON.stringify(bad));
    }
  });

  it('names the reason a message is refused', () => {
    const checks = { ping: isShape<{ n: string }>({ n: isString }) };
    assert.deepEqual(validateMessage(checks, { type: 'pong', payload: {} }), { ok: false, reason: 'unknown message type "pong"' });
    assert.deepEqual(validateMessage(checks, { type: 'ping', payload: { n: 1 } }), { ok: false, reason: 'invalid payload for "ping"' });
    assert.deepEqual(validateMessage(checks, { type: 'ping', payload: { n: 'a' } }, { requireId: ['ping'] }), { ok: false, reason: 'request "ping" has no id' });
    assert.deepEqual(validateMessage(checks, { type: 'toString', payload: {} }), { ok: false, reason: 'unknown message type "toString"' }, 'prototype keys are not message types');
    const ok = validateMessage(checks, { type: 'ping', id: 7, payload: { n: 'a' } }, { requireId: ['ping'] });
    assert.equal(ok.ok, true);
  });

  it('isShape refuses extra and missing keys; isArrayOf checks every element', () => {
    const s = isShape<{ a: string }>({ a: isString });
    assert.equal(s({ a: 'x' }), true);
    assert.equal(s({ a: 'x', b: 1 }), false);
    assert.equal(s({}), false);
    assert.equal(isArrayOf(isString)(['a', 'b']), true);
    assert.equal(isArrayOf(isString)(['a', 2]), false);
    assert.equal(isArrayOf(isString, 2)(['a', 'b', 'c']), false);
  });
});

describe('protocol: tracker messages', () => {
  const toggle = { key: KEY, line: 12, hash: HASH, checked: true };
  it('accepts the page\'s commands and requests', () => {
    for (const m of [
      { type: 'ready', payload: {} },
      { type: 'refresh', payload: {} },
      { type: 'open', payload: { key: KEY, line: 3 } },
      { type: 'toggle', id: 1, payload: toggle },
      { type: 'setStatus', id: 2, payload: { key: KEY, line: 4, hash: HASH, status: 'in-progress' } },
    ]) assert.equal(isValidTrackerToHost(m).ok, true, JSON.stringify(m));
  });

  it('refuses malformed ones', () => {
    for (const m of [
      { type: 'toggle', payload: toggle },
      { type: 'toggle', id: 1, payload: { ...toggle, line: 0 } },
      { type: 'toggle', id: 1, payload: { ...toggle, line: '12' } },
      { type: 'toggle', id: 1, payload: { ...toggle, hash: 'ABC' } },
      { type: 'toggle', id: 1, payload: { ...toggle, checked: 1 } },
      { type: 'toggle', id: 1, payload: { ...toggle, key: 'x'.repeat(5000) } },
      { type: 'setStatus', id: 1, payload: { key: KEY, line: 4, hash: HASH, status: 'blocked' } },
      { type: 'ready', payload: { now: true } },
      { type: 'state', payload: {} },
    ]) assert.equal(isValidTrackerToHost(m).ok, false, JSON.stringify(m));
  });

  it('checks what the host sends, deeply', () => {
    const progress = { storiesDone: 1, storiesInProgress: 0, storiesTotal: 2, itemsChecked: 0, itemsTotal: 1, percent: 33 };
    const state = {
      files: [{
        key: KEY, label: 'docs/Phase1.md', title: 'Phase 1', progress, issues: [{ line: 5, endLine: 7, severity: 'error', message: 'no separator' }], readonly: false,
        sections: [{ title: 'Epic 1.1', kind: 'epic', epicId: '1.1', line: 3, path: [], progress,
          tables: [{ line: 5, columns: [{ html: '#', role: 'id' }, { html: 'Story' }], statusColumn: -1, stories: [{ line: 7, hash: HASH, id: '1.1.1', cells: ['1.1.1', 'x'], status: 'done', statusText: 'Done' }] }],
          checklist: [{ line: 9, hash: HASH, html: 'item', checked: false, depth: 0 }] }],
      }],
      progress,
      globs: ['**/Phase*.md'],
    };
    assert.equal(isTrackerState(state), true);
    assert.equal(isValidTrackerToWebview({ type: 'state', payload: state }).ok, true);
    const broken = structuredClone(state);
    (broken.files[0].sections[0].tables[0].stories[0] as { status: string }).status = 'finished';
    assert.equal(isTrackerState(broken), false);
    assert.equal(isValidTrackerToWebview({ type: 'setStatus/response', id: 3, payload: { ok: false, message: 'read-only' } }).ok, true);
    assert.equal(isValidTrackerToWebview({ type: 'setStatus/response', id: 3, payload: { ok: 'yes' } }).ok, false);
    assert.equal(isValidTrackerToWebview({ type: 'notice', payload: { level: 'fatal', message: 'x' } }).ok, false);
  });

  it('checks the saved view state', () => {
    assert.equal(isTrackerViewState({ collapsed: ['a#3'], filter: 'open', scrollY: 120 }), true);
    assert.equal(isTrackerViewState({ collapsed: 'a', filter: 'open', scrollY: 0 }), false);
    assert.equal(isTrackerViewState({ collapsed: [], filter: 'done', scrollY: 0 }), false);
  });

  it('never throws, whatever arrives', () => {
    fc.assert(fc.property(fc.anything(), (v) => {
      isValidTrackerToHost(v);
      isValidTrackerToWebview(v);
      return true;
    }), { numRuns: 500 });
  });
});

describe('protocol: journal messages', () => {
  it('accepts the page\'s commands and requests, refuses malformed ones', () => {
    for (const m of [
      { type: 'show', id: 1, payload: { key: KEY } },
      { type: 'search', id: 2, payload: { query: 'nixos lvm' } },
      { type: 'edit', payload: { key: KEY } },
      { type: 'edit', payload: { key: KEY, line: 4 } },
      { type: 'newEntry', payload: {} },
      { type: 'createFolder', payload: {} },
      { type: 'addNote', payload: { line: 3 } },
      { type: 'openLink', payload: { key: KEY, href: './phase-1-retrospective.md' } },
    ]) assert.equal(isValidJournalToHost(m).ok, true, JSON.stringify(m));
    for (const m of [
      { type: 'show', payload: { key: KEY } },
      { type: 'search', id: 2, payload: { query: 'x'.repeat(501) } },
      { type: 'edit', payload: { key: KEY, line: -1 } },
      { type: 'newEntry', payload: { title: 'x' } },
      { type: 'addNote', payload: { line: 'last' } },
      { type: 'openLink', payload: { key: KEY } },
      { type: 'exec', payload: { cmd: 'rm -rf /' } },
    ]) assert.equal(isValidJournalToHost(m).ok, false, JSON.stringify(m));
  });

  it('checks the state and responses the host sends', () => {
    const state = {
      folder: 'journal', exists: true,
      readme: { key: KEY, title: 'Journal', phases: [{ number: '1', title: 'Phase 1: X', name: 'X', line: 3, status: 'complete', statusText: 'Complete', duration: '8 h', achievements: ['a'] }] },
      entries: [{ key: KEY, label: 'journal/a.md', title: 'A', date: '2025-06-14', dateSource: 'filename', excerpt: '' }],
      activity: [{ line: 3, when: '2025-06-14T10:00:00Z', result: 'ok', what: 'Clone', cluster: 'lab', durationMs: 42000 }],
    };
    assert.equal(isJournalState(state), true);
    assert.equal(isJournalState({ ...state, exists: 'yes' }), false);
    assert.equal(isJournalState({ ...state, entries: [{ ...state.entries[0], dateSource: 'guess' }] }), false);
    assert.equal(isValidJournalToWebview({ type: 'search/response', id: 1, payload: { query: 'a', hits: [{ key: KEY, title: 'A', snippet: 'abc', highlights: [[0, 1]] }] } }).ok, true);
    assert.equal(isValidJournalToWebview({ type: 'search/response', id: 1, payload: { query: 'a', hits: [{ key: KEY, title: 'A', snippet: 'abc', highlights: [[0]] }] } }).ok, false);
    assert.equal(isValidJournalToWebview({ type: 'show/response', id: 1, payload: { key: KEY, title: 'A', html: '<p>x</p>' } }).ok, true);
    assert.equal(isValidJournalToWebview({ type: 'select', payload: { key: 5 } }).ok, false);
    assert.equal(isJournalViewState({ query: '' }), true);
    assert.equal(isJournalViewState({ query: '', selected: KEY }), true);
    assert.equal(isJournalViewState({ query: '', tab: 'settings' }), false);
    assert.equal(isJournalViewState({ query: 3 }), false);
  });

  it('never throws, whatever arrives', () => {
    fc.assert(fc.property(fc.anything(), (v) => {
      isValidJournalToHost(v);
      isValidJournalToWebview(v);
      return true;
    }), { numRuns: 500 });
  });
});
