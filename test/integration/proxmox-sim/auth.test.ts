import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, get, pickGuest, sleep } from './helpers';

describe('proxmox-sim: authentication and permissions', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ guests: 10, seed: 7, taskDurationMs: 50, authFailDelayMs: 300, ticketLifetimeMs: 1500 });
  });
  after(() => sim.close());

  async function login(password = sim.password, username = sim.user) {
    return call(sim, 'POST', '/access/ticket', { cred: 'none', form: { username, password } });
  }

  it('answers 401 with an EMPTY body after the configured delay without credentials', async () => {
    const r = await call(sim, 'GET', '/nodes', { cred: 'none' });
    assert.equal(r.status, 401);
    assert.equal(r.text, '');
    assert.equal(r.reason, 'No ticket');
    assert.ok(r.ms >= 280, `answered after ${r.ms} ms`);
  });

  it('delays 401 by 3 s by default, like real servers', async function () {
    this.timeout(15000);
    const slow = await startSimulator({ guests: 1 });
    try {
      const r = await call(slow, 'GET', '/version', { cred: 'none' });
      assert.equal(r.status, 401);
      assert.ok(r.ms >= 2900 && r.ms < 6000, `answered after ${r.ms} ms`);
    } finally {
      await slow.close();
    }
  });

  it('refuses a wrong token secret with 401', async () => {
    const r = await call(sim, 'GET', '/nodes', { cred: { token: `PVEAPIToken=${sim.tokenId}=00000000-0000-0000-0000-000000000000` } });
    assert.equal(r.status, 401);
    assert.equal(r.text, '');
  });

  it('lets the audit token read but not write: 403 with path and privilege', async () => {
    const g = pickGuest(sim, (x) => !x.conf.template);
    const st = await call(sim, 'GET', `/nodes/${g.node}/qemu/${g.vmid}/status/current`, { cred: 'audit' });
    assert.equal(st.status, 200);
    const r = await call(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/status/start`, { cred: 'audit' });
    assert.equal(r.status, 403);
    assert.equal(r.reason, `Permission check failed (/vms/${g.vmid}, VM.PowerMgmt)`);
    assert.equal(r.json.message, `Permission check failed (/vms/${g.vmid}, VM.PowerMgmt)\n`);
    const memBefore = g.conf.memory;
    const c = await call(sim, 'PUT', `/nodes/${g.node}/qemu/${g.vmid}/config`, { cred: 'audit', form: { memory: 12345 } });
    assert.equal(c.reason, `Permission check failed (/vms/${g.vmid}, VM.Config.Memory)`);
    const ci = await call(sim, 'PUT', `/nodes/${g.node}/qemu/${g.vmid}/config`, { cred: 'audit', form: { ciuser: 'x' } });
    assert.equal(ci.reason, `Permission check failed (/vms/${g.vmid}, VM.Config.Cloudinit)`);
    const cl = await call(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/clone`, { cred: 'audit', form: { newid: 5000 } });
    assert.equal(cl.reason, `Permission check failed (/vms/${g.vmid}, VM.Clone)`);
    const del = await call(sim, 'DELETE', `/nodes/${g.node}/qemu/${g.vmid}`, { cred: 'audit' });
    assert.equal(del.reason, `Permission check failed (/vms/${g.vmid}, VM.Allocate)`);
    const up = await call(sim, 'DELETE', `/nodes/pve1/storage/local/content/${encodeURIComponent('local:iso/debian-12.7.0-amd64-netinst.iso')}`, { cred: 'audit' });
    assert.equal(up.reason, 'Permission check failed (/storage/local, Datastore.Allocate)');
    assert.equal(sim.state.guests.get(g.vmid)!.conf.memory, memBefore, 'the refused write changed nothing');
  });

  it('logs in with a password and returns username, ticket, CSRFPreventionToken, cap', async () => {
    const r = await login();
    assert.equal(r.status, 200);
    const d = r.json.data;
    assert.equal(d.username, 'root@pam');
    assert.match(d.ticket, /^PVE:root@pam:[0-9A-F]{8}::/);
    assert.match(d.CSRFPreventionToken, /^[0-9A-F]{8}:/);
    assert.equal(typeof d.cap, 'object');
  });

  it('refuses a wrong password with a delayed empty 401', async () => {
    const r = await login('wrong');
    assert.equal(r.status, 401);
    assert.equal(r.text, '');
    assert.ok(r.ms >= 280);
  });

  it('refuses POST /access/ticket with an API token: 403 need proper ticket', async () => {
    const r = await call(sim, 'POST', '/access/ticket', { cred: 'admin', form: { username: sim.user, password: sim.password } });
    assert.equal(r.status, 403);
    assert.equal(r.reason, 'need proper ticket');
  });

  it('requires the CSRF header on non-GET with a ticket', async () => {
    const { ticket, CSRFPreventionToken: csrf } = (await login()).json.data;
    assert.equal((await call(sim, 'GET', '/nodes', { cred: { ticket } })).status, 200);
    const g = pickGuest(sim, (x) => !x.conf.template);
    const path = `/nodes/${g.node}/qemu/${g.vmid}/config`;
    const no = await call(sim, 'PUT', path, { cred: { ticket }, form: { description: 'x' } });
    assert.equal(no.status, 401);
    assert.equal(no.text, '');
    const bad = await call(sim, 'PUT', path, { cred: { ticket, csrf: 'AAAAAAAA:nope' }, form: { description: 'x' } });
    assert.equal(bad.status, 401);
    const ok = await call(sim, 'PUT', path, { cred: { ticket, csrf }, form: { description: 'x' } });
    assert.equal(ok.status, 200);
  });

  it('expires tickets after their lifetime and renews them with the old ticket as password', async () => {
    const first = (await login()).json.data;
    await sleep(700);
    const renewed = await login(first.ticket);
    assert.equal(renewed.status, 200);
    const t2 = renewed.json.data.ticket;
    assert.notEqual(t2, first.ticket);
    await sleep(900); // first is now 1.6 s old (> 1.5 s lifetime), t2 0.9 s
    assert.equal((await call(sim, 'GET', '/version', { cred: { ticket: first.ticket } })).status, 401);
    assert.equal((await call(sim, 'GET', '/version', { cred: { ticket: t2 } })).status, 200);
    const late = await login(first.ticket);
    assert.equal(late.status, 401);
    const other = await login(t2, 'someone@pam');
    assert.equal(other.status, 401);
  });

  it('checks permission before proxying to a node that is down (403 before 595)', async () => {
    const g = pickGuest(sim, (x) => x.node === 'pve2' && !x.conf.template);
    assert.equal((await get(sim, '/nodes', 'audit')).length, 3);
    sim.setNodeOnline('pve2', false);
    try {
      assert.equal((await call(sim, 'POST', `/nodes/pve2/qemu/${g.vmid}/status/stop`, { cred: 'audit' })).status, 403);
      assert.equal((await call(sim, 'POST', `/nodes/pve2/qemu/${g.vmid}/status/stop`)).status, 595);
    } finally {
      sim.setNodeOnline('pve2', true);
    }
  });
});
