import assert from 'node:assert/strict';
import { agentProblem, guestAddress } from '../../../src/providers/proxmox/guest-agent';
import { migrateParams, validateMigratePlan, type MigratePrecondition } from '../../../src/providers/proxmox/migrate';

const pre = (o: Partial<MigratePrecondition> = {}): MigratePrecondition => ({
  running: 1, allowed_nodes: ['pve2'], not_allowed_nodes: { pve3: { unavailable_storages: ['local-lvm'] } },
  local_disks: [{ volid: 'local-lvm:vm-101-disk-0', cdrom: 0 }, { volid: 'local:iso/x.iso', cdrom: 1 }], local_resources: [], ...o,
});

describe('migration rules', () => {
  it('a running VM needs online; local disks need with-local-disks; both explained', () => {
    const p = validateMigratePlan(101, pre(), { target: 'pve2', online: false, withLocalDisks: false });
    assert.equal(p.length, 2);
    assert.match(p[0], /running.*live \(online\)/);
    assert.match(p[1], /local-lvm:vm-101-disk-0/);
    assert.doesNotMatch(p[1], /x\.iso/, 'CD-ROM images are not copied');
    assert.deepEqual(validateMigratePlan(101, pre(), { target: 'pve2', online: true, withLocalDisks: true }), []);
    assert.deepEqual(validateMigratePlan(101, pre({ running: 0, local_disks: [] }), { target: 'pve2', online: false, withLocalDisks: false }), []);
  });

  it('refuses nodes that are not allowed, with the reason', () => {
    assert.match(validateMigratePlan(101, pre(), { target: 'pve3', online: true, withLocalDisks: true })[0], /storage not available there: local-lvm/);
    assert.match(validateMigratePlan(101, pre(), { target: 'pve9', online: true, withLocalDisks: true })[0], /allowed: pve2/);
    assert.match(validateMigratePlan(101, pre({ local_resources: ['hostpci0'] }), { target: 'pve2', online: true, withLocalDisks: true })[0], /hostpci0/);
  });

  it('sends only the flags the plan has', () => {
    assert.deepEqual(migrateParams({ target: 'pve2', online: true, withLocalDisks: true }), { target: 'pve2', online: 1, 'with-local-disks': 1 });
    assert.deepEqual(migrateParams({ target: 'pve2', online: false, withLocalDisks: false }), { target: 'pve2' });
  });
});

describe('guest agent address', () => {
  it('prefers a global IPv4, skips loopback and link-local', () => {
    const ifs = [
      { name: 'lo', 'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4' as const, prefix: 8 }] },
      { name: 'ens18', 'ip-addresses': [{ 'ip-address': 'fe80::1', 'ip-address-type': 'ipv6' as const, prefix: 64 }, { 'ip-address': '10.0.0.7', 'ip-address-type': 'ipv4' as const, prefix: 24 }] },
    ];
    assert.equal(guestAddress(ifs), '10.0.0.7');
    assert.equal(guestAddress([{ name: 'ens18', 'ip-addresses': [{ 'ip-address': '2001:db8::7', 'ip-address-type': 'ipv6', prefix: 64 }] }]), '2001:db8::7');
    assert.equal(guestAddress([ifs[0]]), undefined);
  });
  it('names the agent problem', () => {
    assert.equal(agentProblem('No QEMU guest agent configured'), 'not-configured');
    assert.equal(agentProblem('QEMU guest agent is not running'), 'not-running');
    assert.equal(agentProblem('VM 101 is not running'), 'vm-stopped');
  });
});
