// The issue-16 providers against the simulator through the real, pinned ProxmoxClient:
// snapshots, backups and restore, notes and tags with digests, cloud-init edits, containers,
// and consoles typed into over the real WebSocket on the pinned TLS connection.
import { strict as assert } from 'node:assert';
import {
  applyCloudInit, migrateCheck, configChanges, snapshotConfig, backupJobs, backupStorages, buildSnapshotTree, classifyGuestError, clusterTagStyle, cloneGuest, ConfigChangedError,
  ConsoleUnavailableError, createSnapshot, deleteBackup, deleteSnapshot, followTask, guestConfig, GuestLockedError, guestRefOf,
  InvalidInputError, listGuestBackups, listSnapshots, migrateGuest, nextBackupOf, openConsole, powerGuest, ProxmoxClient, readCloudInit,
  readNotes, restoreBackup, rollbackSnapshot, saveNotes, setBackupProtected, setGuestTags, startBackup, tagColor, type ConsoleSession, type GuestRef,
} from '../../../src/providers/proxmox';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('proxmox providers: snapshots, backups, containers, notes, tags, cloud-init, consoles (simulator)', function () {
  this.timeout(30000);
  let sim: Simulator;
  let client: ProxmoxClient;
  let vm: GuestRef; // running, serial0 socket, lab snapshots
  let ct: GuestRef; // running container
  const done = async (upid: string) => followTask(client, upid, { pollMs: 25 });
  const refOf = async (pred: (r: any) => boolean) => guestRefOf((await client.resources('vm')).find(pred)!)!;

  before(async () => {
    sim = await startSimulator({ taskDurationMs: 150, authFailDelayMs: 0, guests: 12, lab: true });
    client = new ProxmoxClient({ url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret } });
    const withSnaps = [...sim.state.guests.values()].find((g) => g.type === 'qemu' && g.snapshots.size > 0)!;
    vm = await refOf((r) => r.vmid === withSnaps.vmid);
    ct = await refOf((r) => r.type === 'lxc' && r.status === 'running');
  });
  after(async () => {
    await client.close();
    await sim.close();
  });

  it('snapshots: tree from the API, create (name checked first), rollback to a missing one fails in its task, delete', async () => {
    const tree = buildSnapshotTree(await listSnapshots(client, vm));
    assert.equal(tree.length, 1);
    assert.equal(tree[0].name, 'before-upgrade');
    const current = tree[0].children.find((c) => c.name === 'experiment')!.children[0];
    assert.equal(current.isCurrent, true);
    assert.throws(() => createSnapshot(client, vm, { name: 'bad name' }), InvalidInputError);
    assert.throws(() => createSnapshot(client, ct, { name: 'ram', vmstate: true }), /Containers cannot save their RAM/);
    assert.equal((await done(await createSnapshot(client, vm, { name: 'pre-test', description: 'x', vmstate: true }))).status, 'ok');
    await client.put(`/nodes/${vm.node}/qemu/${vm.vmid}/config`, { memory: '3072' });
    const changes = configChanges(await guestConfig(client, vm), await snapshotConfig(client, vm, 'pre-test'));
    assert.deepEqual(changes.filter((c) => c.key === 'memory'), [{ key: 'memory', now: '3072', then: String(sim.state.guests.get(vm.vmid)!.snapshots.get('pre-test')!.conf.memory) }]);
    const after = await listSnapshots(client, vm);
    assert.equal(after.find((s) => s.name === 'pre-test')?.vmstate, 1);
    const missing = await done(await rollbackSnapshot(client, vm, 'gone'));
    assert.equal(missing.status, 'error');
    assert.equal(missing.exitstatus, "snapshot 'gone' does not exist");
    assert.equal((await done(await rollbackSnapshot(client, ct, 'pre-update', { start: true }))).status, 'ok');
    assert.equal((await client.get<any>(`/nodes/${ct.node}/lxc/${ct.vmid}/status/current`)).status, 'running');
    assert.equal((await done(await deleteSnapshot(client, vm, 'pre-test'))).status, 'ok');
    assert.ok(!(await listSnapshots(client, vm)).some((s) => s.name === 'pre-test'));
  });

  it('notes: read with digest, save, and a racing change is refused as ConfigChangedError, nothing overwritten', async () => {
    const first = await readNotes(client, vm);
    assert.match(first.notes, /Control plane of the lab cluster/);
    await saveNotes(client, vm, '# web\n\nEdited in VS Code — ünïcödé', first.digest);
    const second = await readNotes(client, vm);
    assert.equal(second.notes, '# web\n\nEdited in VS Code — ünïcödé');
    // Someone else edits meanwhile (the web UI): our stale digest must be refused.
    await client.put(`/nodes/${vm.node}/qemu/${vm.vmid}/config`, { description: 'their change' });
    await assert.rejects(saveNotes(client, vm, 'mine', second.digest), (e: unknown) => e instanceof ConfigChangedError && /was changed by someone else/.test((e as Error).message));
    assert.equal((await readNotes(client, vm)).notes, 'their change');
    await assert.rejects(saveNotes(client, vm, 'x'.repeat(8193), (await readNotes(client, vm)).digest), InvalidInputError);
    const fresh = await readNotes(client, vm);
    await saveNotes(client, vm, '', fresh.digest);
    assert.equal((await guestConfig(client, vm)).description, undefined, 'empty notes delete the key');
  });

  it('tags: written with PVE rules and a digest; the cluster tag style colours them', async () => {
    const conf = await guestConfig(client, ct);
    await setGuestTags(client, ct, ['Web', 'lab', 'web'], { digest: conf.digest });
    assert.equal((await guestConfig(client, ct)).tags, 'lab;Web');
    await assert.rejects(setGuestTags(client, ct, ['ok'], { digest: conf.digest }).catch((e) => { throw classifyGuestError(e, ct, 'the tags'); }), ConfigChangedError);
    assert.throws(() => setGuestTags(client, ct, ['no way']), InvalidInputError);
    const style = await clusterTagStyle(client);
    assert.equal(tagColor('prod', style).bg, '#c62828');
    assert.equal(tagColor('lab', style).mapped, true);
    assert.equal(tagColor('web', style).mapped, false);
  });

  it('cloud-init: edit user, keys, IP and DNS, regenerate the drive; a VM without a drive is refused', async () => {
    const tpl = await refOf((r) => r.template === 1 && r.type === 'qemu');
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk me@laptop';
    const { digest } = await guestConfig(client, tpl);
    await applyCloudInit(client, tpl, { user: 'ops', sshKeys: [key], ipconfig0: { kind: 'static', cidr: '10.0.0.50/24', gateway: '10.0.0.1' }, nameserver: '10.0.0.1', searchdomain: 'lab.home' }, digest);
    const ci = readCloudInit(await guestConfig(client, tpl));
    assert.deepEqual(ci.sshKeys, [key]);
    assert.equal(ci.user, 'ops');
    assert.equal(ci.ipconfig0, 'ip=10.0.0.50/24,gw=10.0.0.1');
    assert.equal(ci.nameserver, '10.0.0.1');
    assert.equal(ci.searchdomain, 'lab.home');
    await assert.rejects(applyCloudInit(client, tpl, { user: 'again' }, digest), ConfigChangedError);
    await assert.rejects(applyCloudInit(client, ct, { user: 'x' }), /has no cloud-init/);
    const plain = [...sim.state.guests.values()].find((g) => g.type === 'qemu' && !g.conf.template && String(g.conf.ide2).startsWith('none'))!;
    await assert.rejects(applyCloudInit(client, { node: plain.node, type: 'qemu', vmid: plain.vmid }, { user: 'x' }), /no cloudinit drive found/);
  });

  it('backups: storages that take backups, back up now, a locked guest is refused with a typed error, list, protect, restore, delete', async () => {
    const stores = (await backupStorages(client, ct.node)).map((s) => s.storage).sort();
    assert.deepEqual(stores, ['local', 'nfs']);
    const upid = await startBackup(client, ct, { storage: 'nfs', notesTemplate: '{{guestname}}\nmanual' });
    await sleep(40);
    // A notes save during the backup: the lock, named, with what to do.
    const { digest } = await readNotes(client, ct);
    await assert.rejects(saveNotes(client, ct, 'during backup', digest), (e: unknown) => e instanceof GuestLockedError && e.lock === 'backup' && /a backup of it is running/.test((e as Error).message));
    assert.equal((await done(upid)).status, 'ok');
    const mine = await listGuestBackups(client, ct);
    assert.ok(mine.length >= 2, 'the lab backup and the new one');
    assert.equal(mine[0].notes, `${sim.state.guests.get(ct.vmid)!.conf.hostname}\nmanual`);
    assert.ok(mine[0].ctime >= mine[1].ctime, 'newest first');
    const bad = await done(await startBackup(client, ct, { storage: 'local-lvm' }));
    assert.equal(bad.status, 'error');
    assert.match(bad.exitstatus, /can't use storage 'local-lvm' for backups - wrong content type/);

    await setBackupProtected(client, ct.node, mine[0].volid, true);
    const refused = await done(await deleteBackup(client, ct.node, mine[0].volid));
    assert.match(refused.exitstatus, /cannot remove protected archive/);
    // Restore onto the running container itself: refused; onto a new ID: a new container.
    await assert.rejects(restoreBackup(client, ct.node, mine[0], { vmid: ct.vmid }), /already exists on node/);
    await assert.rejects(restoreBackup(client, ct.node, mine[0], { vmid: ct.vmid, force: true }), /can't overwrite running container/);
    assert.equal((await done(await restoreBackup(client, ct.node, mine[0], { vmid: 300, unique: true }))).status, 'ok');
    assert.equal((await client.get<any>(`/nodes/${ct.node}/lxc/300/config`)).hostname, sim.state.guests.get(ct.vmid)!.conf.hostname);
    await setBackupProtected(client, ct.node, mine[0].volid, false);
    assert.equal((await done(await deleteBackup(client, ct.node, mine[0].volid))).status, 'ok');

    const jobs = await backupJobs(client);
    const next = nextBackupOf(jobs, ct);
    assert.ok(next.jobs.length >= 1 && next.nextRun! > Date.now() / 1000);
  });

  it('containers: lifecycle, full clone and restart-mode migration through the type-aware helpers', async () => {
    const c = await refOf((r) => r.vmid === 300);
    assert.equal(c.type, 'lxc');
    assert.equal((await done(await powerGuest(client, c, 'start'))).status, 'ok');
    assert.equal((await done(await powerGuest(client, c, 'suspend'))).status, 'ok');
    assert.equal((await done(await powerGuest(client, c, 'resume'))).status, 'ok');
    const target = [...sim.state.nodes.keys()].find((n) => n !== c.node)!;
    const check = await migrateCheck(client, c);
    assert.equal(check.running, true);
    assert.ok(check.allowedNodes.includes(target) && !check.allowedNodes.includes(c.node));
    const vmCheck = await migrateCheck(client, vm);
    assert.ok(vmCheck.allowedNodes.length >= 1, 'qemu answers allowed_nodes; both read the same');
    await assert.rejects(migrateGuest(client, c, { target }), /running container can only be migrated in restart mode/);
    assert.equal((await done(await migrateGuest(client, c, { target, running: true }))).status, 'ok');
    const moved = { ...c, node: target };
    assert.equal((await client.get<any>(`/nodes/${target}/lxc/300/status/current`)).status, 'running');
    assert.equal((await done(await cloneGuest(client, moved, { newid: 301, name: 'ct-clone', full: true }))).status, 'ok');
    assert.equal((await client.get<any>(`/nodes/${target}/lxc/301/config`)).hostname, 'ct-clone');
  });

  describe('consoles over the pinned WebSocket', () => {
    const sessions: ConsoleSession[] = [];
    afterEach(() => sessions.splice(0).forEach((s) => s.close()));

    /** Collects output until `re` matches (or fails after 5 s). */
    const until = (s: ConsoleSession, re: RegExp) => new Promise<string>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => { sub.dispose(); reject(new Error(`no ${re} in ${JSON.stringify(buf)}`)); }, 5000);
      const sub = s.onData((t) => {
        buf += t;
        if (re.test(buf)) { clearTimeout(timer); sub.dispose(); resolve(buf); }
      });
    });

    it('a container console: type a command, read its output, resize, exit closes it', async () => {
      const before = client.requestCount;
      const s = await openConsole(client, { kind: 'guest', guest: ct }, { cols: 100, rows: 30 });
      sessions.push(s);
      assert.ok(client.requestCount > before, 'termproxy went through the pinned client');
      await until(s, /root@[\w-]+:~# $/);
      const out = until(s, /hello from vscode\r\nroot@/);
      s.write('echo hello from vscode\r');
      assert.match(await out, /echo hello from vscode\r\nhello from vscode\r\n/);
      const size = until(s, /\d+ \d+\r\nroot@/);
      s.resize(132, 43);
      s.write('stty size\r');
      assert.match(await size, /43 132/);
      const utf = until(s, /grüße\r\nroot@/);
      s.write('echo grüße\r');
      await utf;
      s.write('exit\r');
      const closed = await s.closed;
      assert.equal(closed.byUser, false, 'the remote shell ended it');
    });

    it('output that arrives before anyone listens (banner, prompt) is handed to the first listener', async () => {
      const s = await openConsole(client, { kind: 'node', node: 'pve1' });
      sessions.push(s);
      await sleep(300); // the banner and prompt arrived meanwhile
      let got = '';
      s.onData((t) => (got += t));
      assert.match(got, /^Linux pve1 .*\r\n\r\nroot@pve1:~# $/s);
      let second = '';
      s.onData((t) => (second += t));
      const out = until(s, /whoami\r\nroot\r\n/);
      s.write('whoami\r');
      await out;
      assert.match(second, /root/, 'later listeners get new output only');
      assert.ok(!second.includes('Linux pve1'));
    });

    it('a node shell opens through /nodes/{node}/termproxy', async () => {
      const s = await openConsole(client, { kind: 'node', node: 'pve2' });
      sessions.push(s);
      await until(s, /root@pve2:~# $/);
      const out = until(s, /pve2\r\nroot@pve2/);
      s.write('hostname\r');
      await out;
      assert.match(s.upid, /:vncshell:/);
      s.close();
      assert.equal((await s.closed).byUser, true);
    });

    it('a VM without a serial port is refused before any ticket is requested, naming the fix', async () => {
      const plain = await refOf((r) => r.type === 'qemu' && r.status === 'running' && !sim.state.guests.get(r.vmid)!.conf.serial0);
      await assert.rejects(openConsole(client, { kind: 'guest', guest: plain }), (e: unknown) =>
        e instanceof ConsoleUnavailableError && e.reason === 'no-serial' && /has no serial port.*qm set \d+ -serial0 socket/.test((e as Error).message));
      // What PVE itself does without the check: the ticket is issued, `qm terminal` says why and exits.
      const proxy = await client.post<any>(`/nodes/${plain.node}/qemu/${plain.vmid}/termproxy`, { serial: 'serial0' });
      const ws = await client.openWebSocket(`/nodes/${plain.node}/qemu/${plain.vmid}/vncwebsocket?port=${proxy.port}&vncticket=${encodeURIComponent(proxy.ticket)}`, ['binary']);
      ws.binaryType = 'arraybuffer';
      let text = '';
      ws.addEventListener('message', (ev) => { text += Buffer.from(ev.data as ArrayBuffer).toString(); });
      await new Promise((r) => ws.addEventListener('open', r, { once: true }));
      ws.send(`${proxy.user}:${proxy.ticket}\n`);
      await new Promise((r) => ws.addEventListener('close', r, { once: true }));
      assert.equal(text, "OKserial interface 'serial0' is not configured\r\n");
      const task = await done(proxy.upid);
      assert.equal(task.status, 'error');
    });

    it('a VM serial console (serial0: socket) echoes what is typed', async () => {
      const s = await openConsole(client, { kind: 'guest', guest: vm });
      sessions.push(s);
      const out = until(s, /whoami\r\nroot\r\n/);
      s.write('whoami\r');
      await out;
    });

    it('a stopped container has no console; a wrong fingerprint never reaches termproxy', async () => {
      const stopped = await refOf((r) => r.type === 'lxc' && r.status === 'stopped');
      await assert.rejects(openConsole(client, { kind: 'guest', guest: stopped }), /CT \d+ not running/);
      const evil = new ProxmoxClient({ url: sim.url, fingerprint: 'AA:'.repeat(31) + 'AA', auth: { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret } });
      try {
        const n = sim.requestCount;
        await assert.rejects(openConsole(evil, { kind: 'node', node: 'pve1' }), /does not match the pinned fingerprint/);
        assert.equal(sim.requestCount, n);
      } finally {
        await evil.close();
      }
    });
  });
});
