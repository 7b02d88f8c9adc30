import * as assert from 'node:assert/strict';
import { RequestTimeoutError, requestType } from '../../../src/protocol/envelope';
import { SearchRequest, ShowRequest, isValidJournalToHost, isValidJournalToWebview } from '../../../src/protocol/journal';
import { PendingRequests } from '../../../src/protocol/pending';
import { SetStatusRequest, ToggleRequest, isValidTrackerToHost, isValidTrackerToWebview } from '../../../src/protocol/tracker';

describe('webview requests bound to their responses (src/protocol)', () => {
  it('each descriptor names a request the host validates and a response the page validates', () => {
    for (const [req, toHost, toPage, params] of [
      [ShowRequest, isValidJournalToHost, isValidJournalToWebview, { key: 'a.md' }],
      [SearchRequest, isValidJournalToHost, isValidJournalToWebview, { query: 'x' }],
      [SetStatusRequest, isValidTrackerToHost, isValidTrackerToWebview, { key: 'a.md', line: 1, hash: '0123456789abcdef', status: 'done' }],
      [ToggleRequest, isValidTrackerToHost, isValidTrackerToWebview, { key: 'a.md', line: 1, hash: '0123456789abcdef', checked: true }],
    ] as const) {
      assert.equal(req.response, `${req.method}/response`);
      assert.ok(toHost({ type: req.method, id: 1, payload: params }).ok, `${req.method} with id is valid`);
      assert.equal(toHost({ type: req.method, payload: params }).ok, false, `${req.method} without id is refused`);
      // A response type the page knows (its payload check is exercised in validators.test.ts).
      const r = toPage({ type: req.response, id: 1, payload: {} });
      assert.ok(r.ok || /invalid payload/.test(r.reason), `${req.response}: ${!r.ok && r.reason}`);
    }
  });

  it('resolves a request with the payload of its own response', async () => {
    const sent: Array<{ type: string; id: number; payload: unknown }> = [];
    const p = new PendingRequests();
    const done = p.start(ShowRequest, { key: 'a.md' }, (m) => sent.push(m));
    assert.deepEqual(sent, [{ type: 'show', id: 1, payload: { key: 'a.md' } }]);
    assert.deepEqual(p.settle('show/response', 1, { key: 'a.md', title: 'A', html: '' }), { ok: true });
    assert.deepEqual(await done, { key: 'a.md', title: 'A', html: '' });
    assert.equal(p.size, 0);
  });

  it('refuses a response of another type for the same id and keeps waiting for the right one', async () => {
    const p = new PendingRequests();
    const done = p.start(SearchRequest, { query: 'q' }, () => {});
    const wrong = p.settle('show/response', 1, {});
    assert.equal(wrong.ok, false);
    assert.match(!wrong.ok ? wrong.reason : '', /expected "search\/response"/);
    assert.deepEqual(p.settle('search/response', 1, { query: 'q', hits: [] }), { ok: true });
    assert.deepEqual(await done, { query: 'q', hits: [] });
  });

  it('times out a request the host never answers, and drops the late answer', async () => {
    const Slow = requestType<{ a: number }, string>()('slow', { timeoutMs: 30 });
    const p = new PendingRequests();
    const started = Date.now();
    await assert.rejects(p.start(Slow, { a: 1 }, () => {}), (e: unknown) => e instanceof RequestTimeoutError && e.method === 'slow');
    assert.ok(Date.now() - started >= 25, 'not before its timeout');
    assert.equal(p.size, 0);
    const late = p.settle('slow/response', 1, 'late');
    assert.equal(late.ok, false);
    assert.match(!late.ok ? late.reason : '', /no pending request/);
  });

  it('answers an unknown id with a reason, and a failing post rejects at once', async () => {
    const p = new PendingRequests();
    assert.equal(p.settle('show/response', 42, {}).ok, false);
    await assert.rejects(p.start(ShowRequest, { key: 'k' }, () => { throw new Error('page gone'); }), /page gone/);
    assert.equal(p.size, 0);
  });

  it('edits wait longer than reads, and every request has a finite timeout', () => {
    for (const r of [ShowRequest, SearchRequest, SetStatusRequest, ToggleRequest]) assert.ok(r.timeoutMs > 0 && Number.isFinite(r.timeoutMs));
    assert.ok(SetStatusRequest.timeoutMs > ShowRequest.timeoutMs);
  });
});
