import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { homelabIsoName, planIsoRetention, type StorageContentItem } from '../../../src/providers/proxmox';

const iso = (name: string, ctime: number): StorageContentItem => ({ volid: `local:iso/${name}`, content: 'iso', format: 'iso', size: 1, ctime });

describe('proxmox: ISO retention plan', () => {
  it('keeps the newest K Homelab ISOs and never touches other ISOs', () => {
    const items = [
      iso('homelab-nixos-20250101-000000.iso', 100), iso('homelab-nixos-20250201-000000.iso', 200),
      iso('homelab-nixos-20250301-000000.iso', 300), iso('debian-12.iso', 1), iso('homelab-nixos-20250401-000000.iso', 400),
      { volid: 'local:vztmpl/homelab-nixos-x.iso', content: 'vztmpl', format: 'tzst', size: 1, ctime: 0 },
    ];
    const plan = planIsoRetention(items, { keep: 2 });
    assert.deepEqual(plan.keep.map((i) => i.ctime), [400, 300]);
    assert.deepEqual(plan.remove.map((i) => i.ctime), [200, 100]);
  });

  it('keeps at least one, and keeps protected volumes', () => {
    const items = [iso('homelab-nixos-a.iso', 1), iso('homelab-nixos-b.iso', 2)];
    assert.equal(planIsoRetention(items, { keep: 0 }).keep.length, 1);
    const p = planIsoRetention(items, { keep: 1, protect: ['local:iso/homelab-nixos-a.iso'] });
    assert.equal(p.remove.length, 0);
  });

  it('names sort by time and match the pattern', () => {
    const a = homelabIsoName(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)));
    assert.equal(a, 'homelab-nixos-20250102-030405.iso');
    assert.equal(planIsoRetention([iso(a, 1)], { keep: 1 }).keep.length, 1);
  });

  it('property: keep + remove is a partition of our ISOs, and every kept one is newer than every removed one', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (times, k) => {
      const items = times.map((t, n) => iso(`homelab-nixos-${String(n).padStart(3, '0')}.iso`, t));
      const p = planIsoRetention(items, { keep: k });
      assert.equal(p.keep.length + p.remove.length, items.length);
      assert.equal(p.keep.length, Math.min(k, items.length));
      for (const r of p.remove) for (const kk of p.keep) assert.ok((kk.ctime ?? 0) >= (r.ctime ?? 0));
    }));
  });
});
