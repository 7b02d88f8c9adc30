// The Proxmox client against the simulator, or READ-ONLY against a real cluster when
// HOMELAB_TEST_PVE_URL, _TOKEN_ID, _TOKEN_SECRET and _FINGERPRINT are set (write tests are
// then not registered: they only ever run against the simulator).

import { strict as assert } from 'node:assert';
import {
  ProxmoxClient, ProxmoxError, fetchServerCertificate, followTask, parseUpid, type ConnectionOptions,
} from '../../../src/providers/proxmox';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';

const env = process.env;
const REAL = env.HOMELAB_TEST_PVE_URL && env.HOMELAB_TEST_PVE_TOKEN_ID && env.HOMELAB_TEST_PVE_TOKEN_SECRET && env.HOMELAB_TEST_PVE_FINGERPRINT
  ? { url: env.HOMELAB_TEST_PVE_URL, tokenId: env.HOMELAB_TEST_PVE_TOKEN_ID, secret: env.HOMELAB_TEST_PVE_TOKEN_SECRET, fingerprint: env.HOMELAB_TEST_PVE_FINGERPRINT }
  : undefined;

const WRONG_FP = 'AA:'.repeat(31) + 'AA';

describe(`proxmox client against ${REAL ? `a real cluster (${REAL.url}, read-only)` : 'the simulator'}`, function () {
  this.timeout(30000);
  let sim: Simulator | undefined;
  let base: ConnectionOptions;
  let client: ProxmoxClient;
  const extra: ProxmoxClient[] = [];
  const another = (o: Partial<ConnectionOptions>) => {
    const c = new ProxmoxClient({ ...base, ...o });
    extra.push(c);
    return c;
  };

  before(async () => {
    if (REAL) {
      base = { url: REAL.url, fingerprint: REAL.fingerprint, auth: { kind: 'token', tokenId: REAL.tokenId, secret: REAL.secret } };
    } else {
      sim = await startSimulator({ taskDurationMs: 300, authFailDelayMs: 0, nodes: 3, guests: 10 });
      base = { url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret } };
    }
    client = new ProxmoxClient(base);
  });
  after(async () => {
    await Promise.all([client, ...extra].map((c) => c.close()));
    await sim?.close();
  });

  describe('read-only', () => {
    it('version', async () => {
      const v = await client.version();
      assert.match(v.version, /^\d+\.\d+/);
      assert.match(v.release, /^\d+\.\d+/);
    });

    it('nodes, with a fingerprint in the notation we pin', async () => {
      const nodes = await client.nodes();
      assert.ok(nodes.length >= 1);
      assert.ok(nodes.some((n) => n.status === 'online'));
      for (const n of nodes.filter((x) => x.ssl_fingerprint)) assert.match(n.ssl_fingerprint!, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    });

    it('resources: one request for all guests of the cluster', async () => {
      const before = client.requestCount;
      const vms = await client.resources('vm');
      assert.equal(client.requestCount - before, 1);
      for (const r of vms) {
        assert.ok(r.type === 'qemu' || r.type === 'lxc', r.type);
        assert.equal(typeof r.vmid, 'number');
        assert.equal(r.id, `${r.type}/${r.vmid}`);
      }
      const nodes = await client.resources('node');
      assert.ok(nodes.every((r) => r.type === 'node'));
      const storage = await client.resources('storage');
      assert.ok(storage.every((r) => r.type === 'storage'));
    });

    it('nextId is a number', async () => {
      const id = await client.nextId();
      assert.ok(Number.isInteger(id) && id >= 100);
    });

    it('the typed proxy reads through our transport', async () => {
      const before = client.requestCount;
      const nodes = await client.api.nodes.$get();
      assert.ok(nodes.length >= 1);
      assert.equal(client.requestCount - before, 1);
    });

    it('storage content of a node', async () => {
      const node = (await client.nodes()).find((n) => n.status === 'online')!.node;
      const storages = (await client.resources('storage')).filter((s) => s.node === node && (s.content ?? '').includes('iso'));
      if (storages.length === 0) return; // nothing to list on this cluster
      const items = await client.storageContent(node, storages[0].storage!, 'iso');
      for (const i of items) assert.equal(i.content, 'iso');
    });

    it('fetchServerCertificate shows the fingerprint we pin', async () => {
      const c = await fetchServerCertificate(base.url, 5000);
      assert.equal(c.fingerprint256, client.fingerprint);
    });

    it('a wrong pin is refused', async () => {
      const e = await another({ fingerprint: WRONG_FP }).version().catch((x) => x);
      assert.ok(e instanceof ProxmoxError);
      assert.equal(e.kind, 'tls-untrusted');
      assert.equal(e.actualFingerprint, client.fingerprint);
    });

    it('a wrong token secret is an auth error', async () => {
      const tokenId = base.auth.kind === 'token' ? base.auth.tokenId : '';
      const e = await another({ auth: { kind: 'token', tokenId, secret: '00000000-0000-4000-8000-000000000000' } }).version().catch((x) => x);
      assert.ok(e instanceof ProxmoxError);
      assert.equal(e.kind, 'auth');
      assert.equal(e.status, 401);
    });

    it('an unknown path is not implemented', async () => {
      const e = await client.get('/no/such/path').catch((x) => x);
      assert.ok(e instanceof ProxmoxError);
      assert.equal(e.kind, 'not-implemented');
    });
  });

  // Writes: simulator only, never a real cluster.
  if (!REAL) {
    describe('writes (simulator only)', () => {
      const stoppedGuest = () => [...sim!.state.guests.values()].find((g) => g.status === 'stopped' && !g.conf.template && !g.conf.lock && sim!.state.nodes.get(g.node)?.online)!;

      it('starts a guest and follows the task to OK', async () => {
        const g = stoppedGuest();
        assert.ok(g, 'the simulated cluster has a stopped guest');
        const upid = await client.api.nodes.$(g.node).qemu.$(g.vmid).status.start.$post();
        const u = parseUpid(upid);
        assert.equal(u.type, 'qmstart');
        assert.equal(u.id, String(g.vmid));
        assert.equal(u.node, g.node);
        const lines: string[] = [];
        const out = await followTask(client, upid, { pollMs: 50, onLog: (l) => lines.push(...l) });
        assert.equal(out.status, 'ok', JSON.stringify(out));
        assert.equal(out.exitstatus, 'OK');
        assert.deepEqual(out.logTail, lines.slice(-20));
        const r = (await client.resources('vm')).find((x) => x.vmid === g.vmid)!;
        assert.equal(r.status, 'running');
      });

      it('starting a running guest fails inside the task', async () => {
        const g = [...sim!.state.guests.values()].find((x) => x.status === 'running' && !x.conf.lock && sim!.state.nodes.get(x.node)?.online)!;
        const upid = await client.post<string>(`/nodes/${g.node}/qemu/${g.vmid}/status/start`);
        const out = await followTask(client, upid, { pollMs: 50 });
        assert.equal(out.status, 'error');
        assert.match(out.exitstatus, /already running/);
      });

      it('cancelling sends DELETE and the task ends interrupted', async () => {
        const slow = await startSimulator({ taskDurationMs: 5000, authFailDelayMs: 0 });
        const c = new ProxmoxClient({ url: slow.url, fingerprint: slow.fingerprint, auth: { kind: 'token', tokenId: slow.tokenId, secret: slow.tokenSecret } });
        try {
          const g = [...slow.state.guests.values()].find((x) => x.status === 'stopped' && !x.conf.template && !x.conf.lock)!;
          const upid = await c.post<string>(`/nodes/${g.node}/qemu/${g.vmid}/status/start`);
          const ctl = new AbortController();
          setTimeout(() => ctl.abort(), 200);
          const out = await followTask(c, upid, { pollMs: 50, signal: ctl.signal });
          assert.equal(out.cancelled, true);
          assert.equal(out.status, 'error');
          assert.ok(slow.requestLog.some((r) => r.method === 'DELETE' && r.path.includes('/tasks/') && r.status === 200));
        } finally {
          await c.close();
          await slow.close();
        }
      });

      it('the audit token gets a 403 on start', async () => {
        const g = stoppedGuest();
        const audit = another({ auth: { kind: 'token', tokenId: sim!.auditTokenId, secret: sim!.auditTokenSecret } });
        assert.ok((await audit.resources('vm')).length > 0, 'the auditor can read');
        const e = await audit.api.nodes.$(g.node).qemu.$(g.vmid).status.start.$post().catch((x) => x);
        assert.ok(e instanceof ProxmoxError, String(e));
        assert.equal(e.kind, 'permission');
        assert.equal(e.status, 403);
        assert.match(e.reason, /Permission check failed .*VM\.PowerMgmt/);
        assert.match(e.message, /Permission denied for POST/);
      });

      it('logs in with a ticket and sends CSRF on writes', async () => {
        const t = another({ auth: { kind: 'ticket', username: sim!.user, password: sim!.password } });
        assert.ok((await t.nodes()).length >= 1);
        const g = stoppedGuest();
        const upid = await t.post<string>(`/nodes/${g.node}/qemu/${g.vmid}/status/start`);
        assert.equal(parseUpid(upid).user, sim!.user);
        assert.equal((await followTask(t, upid, { pollMs: 50 })).status, 'ok');
      });

      it('a wrong password is an auth error', async () => {
        const t = another({ auth: { kind: 'ticket', username: sim!.user, password: 'definitely-wrong' } });
        const e = await t.nodes().catch((x) => x);
        assert.ok(e instanceof ProxmoxError);
        assert.equal(e.kind, 'auth');
        assert.ok(!e.message.includes('definitely-wrong'));
      });

      it('a 400 names the bad parameter', async () => {
        const g = stoppedGuest();
        const e = await client.post(`/nodes/${g.node}/qemu/${g.vmid}/status/start`, { bogus: 1 }).catch((x) => x);
        assert.ok(e instanceof ProxmoxError);
        assert.equal(e.kind, 'parameter');
        assert.equal(e.status, 400);
        assert.ok(e.errors && 'bogus' in e.errors, JSON.stringify(e.errors));
        assert.match(e.message, /bogus: /);
      });

      it('creating over an existing VMID is a server error naming it', async () => {
        const g = stoppedGuest();
        const e = await client.post(`/nodes/${g.node}/qemu`, { vmid: g.vmid, memory: 1024 }).catch((x) => x);
        assert.ok(e instanceof ProxmoxError);
        assert.equal(e.kind, 'server');
        assert.match(e.message, new RegExp(`VM ${g.vmid} already exists`));
      });

      it('an offline node answers 595: node-offline', async () => {
        const nodes = [...sim!.state.nodes.keys()];
        const down = nodes[nodes.length - 1];
        sim!.setNodeOnline(down, false);
        try {
          const e = await client.get(`/nodes/${down}/qemu`).catch((x) => x);
          assert.ok(e instanceof ProxmoxError);
          assert.equal(e.kind, 'node-offline');
        } finally {
          sim!.setNodeOnline(down, true);
        }
      });
    });
  }
});
