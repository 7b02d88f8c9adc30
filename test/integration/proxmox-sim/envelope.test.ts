import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, get, pickGuest } from './helpers';

describe('proxmox-sim: envelope and routing', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ guests: 10, seed: 3, taskDurationMs: 50, authFailDelayMs: 0 });
  });
  after(() => sim.close());

  it('answers 200 {"data":...} with the exact Content-Type', async () => {
    const r = await call(sim, 'GET', '/version');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json;charset=UTF-8');
    assert.deepEqual(Object.keys(r.json), ['data']);
    assert.equal(r.json.data.version, '9.1.3');
  });

  it('serves HTTPS whose certificate fingerprint equals the advertised one', async () => {
    const nodes = await get(sim, '/nodes');
    assert.match(sim.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    for (const n of nodes) assert.equal(n.ssl_fingerprint, sim.fingerprint);
    assert.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 501 "Method ... not implemented" for unknown paths and methods', async () => {
    const r = await call(sim, 'GET', '/x');
    assert.equal(r.status, 501);
    assert.equal(r.reason, "Method 'GET /x' not implemented");
    assert.deepEqual(r.json, { data: null, message: "Method 'GET /x' not implemented\n" });
    const r2 = await call(sim, 'PATCH', '/version');
    assert.equal(r2.status, 501);
    assert.equal(r2.reason, "Method 'PATCH /version' not implemented");
  });

  it('puts 500 messages in the reason phrase and body (wrong node)', async () => {
    const g = pickGuest(sim, (x) => x.node === 'pve1');
    const r = await call(sim, 'GET', `/nodes/pve2/qemu/${g.vmid}/config`);
    assert.equal(r.status, 500);
    const msg = `Configuration file 'nodes/pve2/qemu-server/${g.vmid}.conf' does not exist`;
    assert.equal(r.reason, msg);
    assert.deepEqual(r.json, { data: null, message: msg + '\n' });
    assert.equal(r.headers['content-type'], 'application/json;charset=UTF-8');
  });

  it('accepts form and JSON bodies; booleans as 0/1, true/false in JSON', async () => {
    const g = pickGuest(sim, (x) => !x.conf.template && x.node === 'pve1');
    const put = await call(sim, 'PUT', `/nodes/pve1/qemu/${g.vmid}/config`, { form: { onboot: 1, description: 'a b+c' } });
    assert.equal(put.status, 200, put.reason);
    assert.equal(put.json.data, null);
    const put2 = await call(sim, 'PUT', `/nodes/pve1/qemu/${g.vmid}/config`, { json: { protection: false, cores: 2 } });
    assert.equal(put2.status, 200, put2.reason);
    const conf = await get(sim, `/nodes/pve1/qemu/${g.vmid}/config`);
    assert.equal(conf.onboot, 1);
    assert.equal(conf.protection, 0);
    assert.equal(conf.cores, 2);
    assert.equal(conf.description, 'a b+c');
  });

  it('treats an unencoded ";" in a form body as a field separator, like pveproxy', async () => {
    const g = pickGuest(sim, (x) => !x.conf.template && x.node === 'pve1');
    const raw = await call(sim, 'PUT', `/nodes/pve1/qemu/${g.vmid}/config`, { rawBody: 'boot=order=scsi0;ide2' });
    assert.equal(raw.status, 400);
    assert.equal(raw.json.errors.ide2 !== undefined, true);
    const ok = await call(sim, 'PUT', `/nodes/pve1/qemu/${g.vmid}/config`, { rawBody: 'boot=order%3Dscsi0%3Bide2' });
    assert.equal(ok.status, 200, ok.reason);
    assert.equal((await get(sim, `/nodes/pve1/qemu/${g.vmid}/config`)).boot, 'order=scsi0;ide2');
  });

  it('returns GET config with a digest that changes with the config', async () => {
    const g = pickGuest(sim, (x) => !x.conf.template && x.node === 'pve1');
    const a = await get(sim, `/nodes/pve1/qemu/${g.vmid}/config`);
    assert.match(a.digest, /^[0-9a-f]{40}$/);
    for (const k of ['name', 'memory', 'cores', 'sockets', 'net0', 'scsi0', 'ide2', 'agent', 'ciuser', 'sshkeys', 'ipconfig0']) assert.ok(k in a, k);
    assert.match(a.sshkeys, /^ssh-ed25519%20\S+%20admin%40homelab%0A$/, 'sshkeys stay URL-encoded');
    await call(sim, 'PUT', `/nodes/pve1/qemu/${g.vmid}/config`, { form: { memory: 3072 } });
    const b = await get(sim, `/nodes/pve1/qemu/${g.vmid}/config`);
    assert.notEqual(a.digest, b.digest);
    const stale = await call(sim, 'PUT', `/nodes/pve1/qemu/${g.vmid}/config`, { form: { memory: 1024, digest: a.digest } });
    assert.equal(stale.status, 500);
    assert.match(stale.reason, /detected modified configuration/);
  });

  it('counts requests and keeps a bounded log', async () => {
    const before = sim.requestCount;
    await call(sim, 'GET', '/version');
    await call(sim, 'GET', '/nope');
    assert.equal(sim.requestCount, before + 2);
    const last = sim.requestLog.slice(-2);
    assert.deepEqual(last, [
      { method: 'GET', path: '/api2/json/version', status: 200 },
      { method: 'GET', path: '/api2/json/nope', status: 501 },
    ]);
  });

  it('bounds the request log to the last 1000 entries', async function () {
    this.timeout(60000);
    for (let batch = 0; batch < 21; batch++) await Promise.all(Array.from({ length: 50 }, () => call(sim, 'GET', `/version`)));
    assert.ok(sim.requestCount >= 1050);
    assert.equal(sim.requestLog.length, 1000);
  });
});
