import assert from 'node:assert/strict';
import { eventsOf, latestWarnings, MAX_EVENTS, renderEvents, type KubeEvent } from '../../../src/views/kubernetes/events';

const t = (m: string, ...a: (string | number | boolean)[]) => m.replace(/\{(\d+)\}/g, (_, i) => String(a[Number(i)]));
const ev = (name: string, type: string, kind: string, obj: string, at: string, extra: Partial<KubeEvent> = {}): KubeEvent => ({
  metadata: { name, namespace: 'ns' }, type, reason: `R-${name}`, message: `m-${name}`, involvedObject: { kind, name: obj }, lastTimestamp: at, ...extra,
});

describe('kubernetes events (display)', () => {
  const all = [
    ev('a', 'Normal', 'Deployment', 'web', '2026-01-01T00:00:00Z'),
    ev('b', 'Warning', 'Pod', 'web-5d9c-x1', '2026-01-01T00:05:00Z'),
    ev('c', 'Warning', 'Pod', 'webby-1', '2026-01-01T00:06:00Z'),
    ev('d', 'Normal', 'ReplicaSet', 'web-5d9c', '2026-01-01T00:03:00Z'),
    ev('e', 'Warning', 'Deployment', 'web', '', { eventTime: '2026-01-01T00:04:00.000000Z' }),
  ];

  it('lists an object\'s events newest first, a workload\'s including its ReplicaSets and pods', () => {
    assert.deepEqual(eventsOf(all, { kind: 'Deployment', resource: 'deployments', name: 'web' }).map((e) => e.metadata.name), ['b', 'e', 'd', 'a']);
    assert.deepEqual(eventsOf(all, { kind: 'ConfigMap', resource: 'configmaps', name: 'web' }).map((e) => e.metadata.name), [], 'same name, other kind');
    assert.deepEqual(eventsOf(all).map((e) => e.metadata.name), ['c', 'b', 'e', 'd', 'a']);
  });

  it('names the latest warnings only', () => {
    assert.deepEqual(latestWarnings(eventsOf(all, { kind: 'Deployment', resource: 'deployments', name: 'web' }), 1), ['R-b: m-b (Pod web-5d9c-x1)']);
  });

  it('marks warnings and keeps the newest MAX_EVENTS of a crowded namespace', () => {
    const many = Array.from({ length: 10_050 }, (_, i) => ev(`n${i}`, i % 2 ? 'Warning' : 'Normal', 'Pod', 'p', new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString()));
    const text = renderEvents('title', eventsOf(many), t, Date.UTC(2026, 0, 2));
    const rows = text.split('\n').filter((l) => /^(⚠ Warning| {2}Normal)/.test(l));
    assert.equal(rows.length, MAX_EVENTS);
    assert.match(rows[0], /^⚠ Warning .*R-n10049/);
    assert.match(rows[1], /^ {2}Normal .*R-n10048/);
    assert.match(text, /9850 older events not shown/);
    // Given only the newest part (as the session keeps it) and the namespace's count: the same text.
    assert.equal(renderEvents('title', eventsOf(many).slice(0, 2000), t, Date.UTC(2026, 0, 2), many.length), text);
    assert.match(renderEvents('x', [], t), /No events\./);
  });
});
