// A namespace with 10,000+ events: read in pages, only the newest kept (bounded memory), newest
// first, the total counted. On a real cluster the events are created through the API as well.
import assert from 'node:assert/strict';
import { setupEnv, type TestEnv } from './env';
import { eventTime, keepNewest, listNewestEvents, type KubeEvent } from '../../../src/providers/kubernetes/events';
import { collectionPath } from '../../../src/providers/kubernetes/resources';

const COUNT = 10_050;
const KEEP = 200;

describe('kubernetes events of a crowded namespace', function () {
  this.timeout(600_000);
  let env: TestEnv;
  const base = Date.parse('2026-01-01T00:00:00Z');
  // Time order differs from name order (the list's order): the newest are spread over every page.
  const secondsOf = (i: number) => (i * 7919) % COUNT;
  const at = (i: number) => new Date(base + secondsOf(i) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const event = (i: number) => ({
    apiVersion: 'v1', kind: 'Event', metadata: { name: `e${String(i).padStart(5, '0')}`, namespace: env.namespace },
    type: i % 10 ? 'Normal' : 'Warning', reason: `R${i}`, message: 'm', involvedObject: { kind: 'ConfigMap', name: 'c', namespace: env.namespace },
    firstTimestamp: at(i), lastTimestamp: at(i), source: { component: 'homelab-test' },
  });

  before(async () => {
    env = await setupEnv();
    if (env.server) {
      for (let i = 0; i < COUNT; i++) env.server.store.create('events', event(i));
      return;
    }
    let next = 0;
    const worker = async () => { for (let i = next++; i < COUNT; i = next++) await env.other.request('POST', collectionPath('events', env.namespace), { body: event(i) }); };
    await Promise.all(Array.from({ length: 16 }, worker));
  });
  after(async () => { await env?.close(); });

  it(`keeps the newest ${KEEP} of ${COUNT} events across every page, newest first, and counts them all`, async () => {
    const got = await listNewestEvents(env.client, collectionPath('events', env.namespace), KEEP, 500);
    const mine = got.events.filter((e) => /^e\d{5}$/.test(e.metadata.name));
    assert.ok(got.total >= COUNT, `total ${got.total}`);
    assert.equal(got.events.length, KEEP);
    const times = got.events.map(eventTime);
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    // The newest of the test's events: seconds COUNT-1 down to COUNT-KEEP.
    const newest = new Date(base + (COUNT - 1) * 1000).getTime();
    assert.equal(eventTime(mine[0]), newest, `the newest comes first (got ${mine[0]?.metadata.name})`);
    assert.equal(eventTime(got.events[KEEP - 1]), base + (COUNT - KEEP) * 1000, 'the oldest kept is the 200th newest');
  });

  it('a small page size reaches the same result; keepNewest bounds a cache the same way', async () => {
    const a = await listNewestEvents(env.client, collectionPath('events', env.namespace), 50, 997);
    const b = await listNewestEvents(env.client, collectionPath('events', env.namespace), 50, 5000);
    assert.deepEqual(a.events.map((e) => e.metadata.name), b.events.map((e) => e.metadata.name));
    assert.equal(a.total, b.total);
    const cache = Array.from({ length: 1000 }, (_, i) => ({ metadata: { name: `x${i}` }, lastTimestamp: new Date(base + ((i * 31) % 1000) * 1000).toISOString() }) as KubeEvent);
    const k = keepNewest(cache, 3);
    assert.equal(k.total, 1000);
    assert.deepEqual(k.events.map(eventTime), [999, 998, 997].map((s) => base + s * 1000));
  });

  it('a namespace that does not exist has no events; a bad path is the server\'s error', async () => {
    const none = await listNewestEvents(env.client, collectionPath('events', `${env.namespace}-none`), KEEP);
    assert.deepEqual(none, { events: [], total: 0 });
    await assert.rejects(listNewestEvents(env.client, '/api/v1/namespaces/x/no-such-kind', KEEP), /not found|could not find/i);
  });
});
