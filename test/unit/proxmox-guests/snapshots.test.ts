// Snapshot names as PVE validates them, and the tree of parents as the web UI shows it.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { buildSnapshotTree, checkSnapshotName, configChanges, InvalidInputError, rollbackLoss, snapshotParams, type SnapshotInfo, type SnapshotNode } from '../../../src/providers/proxmox';

describe('snapshot names (pve-configid, 40 characters, reserved names)', () => {
  it('accepts names PVE accepts', () => {
    for (const n of ['before-upgrade', 'k8s_installed', 'Ab', 'a1', 'x'.repeat(40), 'Snap-2025_01']) assert.equal(checkSnapshotName(n), undefined, n);
  });

  it('refuses what PVE refuses, saying why', () => {
    assert.match(checkSnapshotName('')!, /Enter a snapshot name/);
    assert.match(checkSnapshotName('1st')!, /start with a letter/);
    assert.match(checkSnapshotName('-x')!, /start with a letter/);
    assert.match(checkSnapshotName('a')!, /at least two characters/);
    assert.match(checkSnapshotName('before upgrade')!, /"space" is not allowed/);
    assert.match(checkSnapshotName('v1.2')!, /"\." is not allowed/);
    assert.match(checkSnapshotName('x'.repeat(41))!, /at most 40/);
    assert.equal(checkSnapshotName('current'), "unable to use snapshot name 'current' (reserved name)");
    assert.equal(checkSnapshotName('PENDING'), "unable to use snapshot name 'PENDING' (reserved name)");
    assert.equal(checkSnapshotName('snap1', ['snap1']), "snapshot name 'snap1' already used");
  });

  it('agrees with the pve-configid pattern on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 45 }), (s) => {
      const pve = /^[a-z][a-z0-9_-]+$/i.test(s) && s.length <= 40 && s !== 'current' && s.toLowerCase() !== 'pending';
      return (checkSnapshotName(s) === undefined) === pve;
    }), { numRuns: 2000 });
  });

  it('refuses vmstate for containers before anything is sent; VMs may include RAM', () => {
    assert.throws(() => snapshotParams({ node: 'pve1', type: 'lxc', vmid: 200 }, { name: 'ok-name', vmstate: true }),
      (e: unknown) => e instanceof InvalidInputError && e.field === 'vmstate' && /Containers cannot save their RAM/.test(e.message));
    assert.deepEqual(snapshotParams({ node: 'pve1', type: 'qemu', vmid: 100 }, { name: 'ok-name', vmstate: true, description: 'd' }), { snapname: 'ok-name', description: 'd', vmstate: 1 });
    assert.throws(() => snapshotParams({ node: 'pve1', type: 'qemu', vmid: 100 }, { name: 'bad name' }), InvalidInputError);
  });
});

describe('snapshot tree', () => {
  // before-upgrade -> k8s-installed; before-upgrade -> experiment -> current
  const list: SnapshotInfo[] = [
    { name: 'k8s-installed', parent: 'before-upgrade', snaptime: 200, vmstate: 1, description: 'k3s' },
    { name: 'current', parent: 'experiment', description: 'You are here!', running: 1 },
    { name: 'before-upgrade', snaptime: 100, description: 'fresh' },
    { name: 'experiment', parent: 'before-upgrade', snaptime: 300, description: '' },
  ];
  const names = (xs: SnapshotNode[]): unknown => xs.map((x) => (x.children.length ? { [x.name]: names(x.children) } : x.name));

  it('nests by parent, orders by time, puts current under its parent and marks it', () => {
    const tree = buildSnapshotTree(list);
    assert.deepEqual(names(tree), [{ 'before-upgrade': ['k8s-installed', { experiment: ['current'] }] }]);
    const exp = tree[0].children[1];
    assert.equal(exp.isCurrentParent, true);
    assert.equal(exp.children[0].isCurrent, true);
    assert.equal(tree[0].children[0].vmstate, true);
    assert.equal(tree[0].isCurrentParent, false);
  });

  it('without snapshots, current is the only root; an orphan becomes a root', () => {
    assert.deepEqual(names(buildSnapshotTree([{ name: 'current', description: 'You are here!' }])), ['current']);
    assert.deepEqual(names(buildSnapshotTree([{ name: 'lost-child', parent: 'deleted', snaptime: 1 }, { name: 'current', parent: 'lost-child' }])), [{ 'lost-child': ['current'] }]);
  });

  it('every snapshot appears exactly once whatever the order', () => {
    fc.assert(fc.property(fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }), (shuffled) => {
      const seen: string[] = [];
      const walk = (xs: SnapshotNode[]) => xs.forEach((x) => { seen.push(x.name); walk(x.children); });
      walk(buildSnapshotTree(shuffled));
      return seen.sort().join() === list.map((s) => s.name).sort().join() && JSON.stringify(names(buildSnapshotTree(shuffled))) === JSON.stringify(names(buildSnapshotTree(list)));
    }));
  });

  it('rollbackLoss names the target, what current descends from, and whether RAM comes back', () => {
    const loss = rollbackLoss(list, 'k8s-installed')!;
    assert.equal(loss.target.name, 'k8s-installed');
    assert.equal(loss.currentParent?.name, 'experiment');
    assert.equal(loss.running, true);
    assert.equal(loss.restoresRam, true);
    assert.equal(rollbackLoss(list, 'missing'), undefined);
    assert.equal(rollbackLoss(list, 'current'), undefined);
  });
});

describe('what a rollback undoes in the config', () => {
  it('lists changed, added and removed keys, ignoring bookkeeping', () => {
    const now = { memory: 4096, cores: 2, tags: 'a;b', net1: 'virtio,bridge=vmbr1', digest: 'x', parent: 'p', lock: 'backup' };
    const then = { memory: '2048', cores: 2, tags: 'a', snaptime: 1, vmstate: 1, description: 'snap' };
    assert.deepEqual(configChanges(now, then), [
      { key: 'memory', now: '4096', then: '2048' },
      { key: 'net1', now: 'virtio,bridge=vmbr1', then: undefined },
      { key: 'tags', now: 'a;b', then: 'a' },
    ]);
    assert.deepEqual(configChanges({ a: 1 }, { a: '1' }), []);
  });
});
