// Guest-type aware paths and parameters, the capability table, and the typed refusals.
import { strict as assert } from 'node:assert';
import {
  GUEST_CAPABILITIES, allowedActions, classifyGuestError, cloneParams, configFacts, ConfigChangedError, factsOf,
  GuestLockedError, guestPath, guestRefOf, migrateParams, ProxmoxError, refusal, type GuestAction, type GuestFacts,
} from '../../../src/providers/proxmox';

const vm = { node: 'pve1', type: 'qemu' as const, vmid: 100, name: 'web' };
const ct = { node: 'pve 2', type: 'lxc' as const, vmid: 200, name: 'ct-pihole' };

describe('guest paths and verbs by type', () => {
  it('builds /qemu/ for VMs and /lxc/ for containers, node names encoded', () => {
    assert.equal(guestPath(vm), '/nodes/pve1/qemu/100');
    assert.equal(guestPath(ct, 'status/start'), '/nodes/pve%202/lxc/200/status/start');
    assert.equal(guestPath(vm, '/snapshot'), '/nodes/pve1/qemu/100/snapshot');
  });

  it('refuses an unknown type or a bad VM ID instead of building a wrong path', () => {
    assert.throws(() => guestPath({ node: 'pve1', type: 'openvz' as never, vmid: 100 }), /Unknown guest type "openvz"/);
    assert.throws(() => guestPath({ node: 'pve1', type: 'qemu', vmid: 99 }), /Invalid VM ID 99/);
    assert.throws(() => guestPath({ node: 'pve1', type: 'qemu', vmid: 1.5 }), /Invalid VM ID/);
  });

  it('reads a guest from /cluster/resources rows and ignores nodes and storages', () => {
    assert.deepEqual(guestRefOf({ id: 'lxc/200', type: 'lxc', vmid: 200, node: 'pve2', name: 'ct' }), { node: 'pve2', type: 'lxc', vmid: 200, name: 'ct' });
    assert.equal(guestRefOf({ id: 'node/pve1', type: 'node', node: 'pve1' }), undefined);
    assert.equal(guestRefOf({ id: 'storage/pve1/local', type: 'storage', node: 'pve1' }), undefined);
  });

  it('clone names the copy `name` for a VM and `hostname` for a container', () => {
    assert.deepEqual(cloneParams(vm, { newid: 101, name: 'web2', full: true }), { newid: 101, name: 'web2', full: true });
    assert.deepEqual(cloneParams(ct, { newid: 201, name: 'ct2', full: true, storage: 'nfs' }), { newid: 201, hostname: 'ct2', full: true, storage: 'nfs' });
  });

  it('migrates a running VM online and a running container in restart mode', () => {
    assert.deepEqual(migrateParams(vm, { target: 'pve2', running: true, withLocalDisks: true }), { target: 'pve2', online: 1, 'with-local-disks': 1 });
    assert.deepEqual(migrateParams(ct, { target: 'pve1', running: true, timeout: 30 }), { target: 'pve1', restart: 1, timeout: 30 });
    assert.deepEqual(migrateParams(ct, { target: 'pve1', running: false, timeout: 30 }), { target: 'pve1' });
    assert.ok(!('online' in migrateParams(ct, { target: 'pve1', running: true })), 'containers have no live migration');
  });
});

describe('capability table', () => {
  const facts = (o: Partial<GuestFacts>): GuestFacts => ({ type: 'qemu', power: 'stopped', template: false, ...o });

  it('offers start only for stopped non-templates, and nothing but stop/resume on a paused VM', () => {
    assert.equal(refusal('start', facts({})), undefined);
    assert.match(refusal('start', facts({ power: 'running' }))!, /running guest already runs/);
    assert.match(refusal('start', facts({ template: true }))!, /template cannot be started/);
    const paused = allowedActions(facts({ power: 'paused' }));
    assert.ok(paused.includes('resume') && paused.includes('stop') && !paused.includes('shutdown') && !paused.includes('start'));
  });

  it('never offers RAM snapshots for containers or stopped VMs', () => {
    assert.match(refusal('snapshotWithRam', facts({ type: 'lxc', power: 'running' }))!, /containers/);
    assert.ok(refusal('snapshotWithRam', facts({ power: 'stopped' })));
    assert.equal(refusal('snapshotWithRam', facts({ power: 'running' })), undefined);
  });

  it('refuses almost everything while locked, but a console stays available', () => {
    const locked = facts({ power: 'running', lock: 'backup', hasSerial: true });
    for (const a of ['shutdown', 'snapshot', 'migrate', 'backup', 'editNotes', 'editTags'] as GuestAction[]) {
      assert.equal(refusal(a, locked), 'it is locked (backup)', a);
    }
    assert.equal(refusal('xtermConsole', locked), undefined);
  });

  it('a VM console needs a serial port; a container console does not', () => {
    assert.match(refusal('xtermConsole', facts({ power: 'running' }))!, /serial port/);
    assert.equal(refusal('xtermConsole', facts({ power: 'running', hasSerial: true })), undefined);
    assert.equal(refusal('xtermConsole', facts({ type: 'lxc', power: 'running' })), undefined);
    assert.ok(refusal('vncConsole', facts({ type: 'lxc', power: 'running' })));
  });

  it('templates: linked clone and backup yes; start, snapshot and template again no', () => {
    const t = allowedActions(facts({ template: true }));
    for (const a of ['linkedClone', 'clone', 'backup', 'delete', 'migrate'] as GuestAction[]) assert.ok(t.includes(a), a);
    for (const a of ['start', 'snapshot', 'convertToTemplate', 'xtermConsole'] as GuestAction[]) assert.ok(!t.includes(a), a);
    assert.ok(!allowedActions(facts({})).includes('linkedClone'));
  });

  it('cloud-init only for VMs with a drive; rollback only with snapshots; restore-over only when stopped', () => {
    assert.ok(refusal('editCloudInit', facts({ type: 'lxc', hasCloudInit: true })));
    assert.ok(refusal('editCloudInit', facts({})));
    assert.equal(refusal('editCloudInit', facts({ hasCloudInit: true })), undefined);
    assert.ok(refusal('rollback', facts({ hasSnapshots: false })));
    assert.equal(refusal('rollback', facts({ hasSnapshots: true })), undefined);
    assert.match(refusal('restoreOver', facts({ power: 'running' }))!, /stop the guest/);
    assert.match(refusal('delete', facts({ type: 'lxc', power: 'running' }))!, /stop the guest first/);
  });

  it('every action has a reason text, and facts come from resources and config', () => {
    for (const [a, r] of Object.entries(GUEST_CAPABILITIES)) assert.ok(r.why.length > 10, a);
    assert.deepEqual(factsOf({ type: 'lxc', status: 'running', template: 0, lock: '' }), { type: 'lxc', power: 'running', template: false, lock: undefined, hasSerial: undefined, hasCloudInit: undefined, hasSnapshots: undefined });
    assert.equal(factsOf({ type: 'qemu', status: 'running' }, { qmpstatus: 'paused' }).power, 'paused');
    assert.deepEqual(configFacts({ serial0: 'socket', ide2: 'local-lvm:vm-100-cloudinit,media=cdrom' }), { hasSerial: true, hasCloudInit: true });
    assert.deepEqual(configFacts({ serial0: '/dev/ttyS0', ide2: 'none,media=cdrom' }), { hasSerial: false, hasCloudInit: false });
  });
});

describe('typed refusals', () => {
  const pveError = (reason: string) => new ProxmoxError({ kind: 'server', status: 500, reason, message: `Proxmox failed PUT: ${reason}` });

  it('a stale digest becomes ConfigChangedError naming the guest and what to do', () => {
    const e = classifyGuestError(pveError('detected modified configuration - file changed by other user? Try again.'), vm, 'the notes');
    assert.ok(e instanceof ConfigChangedError);
    assert.match((e as Error).message, /VM 100 \(web\) was changed by someone else.*the notes was not saved.*Reload/);
  });

  it('a lock becomes GuestLockedError with the lock, also from a task exitstatus', () => {
    const e = classifyGuestError(pveError('CT is locked (backup)'), ct);
    assert.ok(e instanceof GuestLockedError);
    assert.equal((e as GuestLockedError).lock, 'backup');
    assert.match((e as Error).message, /Container 200 \(ct-pihole\) is locked \(backup\): a backup of it is running.*pct unlock 200/);
    const t = classifyGuestError('VM is locked (snapshot)', vm);
    assert.ok(t instanceof GuestLockedError && t.lock === 'snapshot');
  });

  it('leaves other errors unchanged', () => {
    const other = pveError("storage 'x' does not exist");
    assert.equal(classifyGuestError(other, vm), other);
  });
});
