import { strict as assert } from 'node:assert';
import type { ServerResponse } from 'node:http';
import { ProxmoxClient, ProxmoxError, encodeParams } from '../../../src/providers/proxmox';
import { apiPath, makeCerts, query, reply, startHttps, TOKEN_ID, TOKEN_SECRET, type FixtureServer, type Recorded } from './https-fixture';

const auth = { kind: 'token' as const, tokenId: TOKEN_ID, secret: TOKEN_SECRET };

async function rejects(p: Promise<unknown>): Promise<ProxmoxError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProxmoxError, `expected ProxmoxError, got ${e}`);
    return e;
  }
  assert.fail('expected a rejection');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('proxmox client transport', () => {
  const certs = makeCerts();
  let server: FixtureServer;
  // Each test installs the behaviour it needs.
  let handler: (r: Recorded, res: ServerResponse, i: number) => void = (_r, res) => reply(res, 200, null);
  let client: ProxmoxClient;

  before(async () => {
    server = await startHttps((r, res, i) => handler(r, res, i));
  });
  beforeEach(() => {
    server.requests.length = 0;
    client = new ProxmoxClient({ url: server.url, fingerprint: certs.serverFingerprint, auth, timeoutMs: 2000 });
  });
  afterEach(async () => {
    await client.close();
  });
  after(async () => {
    await server.close();
  });

  describe('no blind retry', () => {
    it('a POST whose answer times out is sent exactly once', async () => {
      handler = () => undefined; // never answers
      const c = new ProxmoxClient({ url: server.url, fingerprint: certs.serverFingerprint, auth, timeoutMs: 300 });
      try {
        const e = await rejects(c.post('/nodes/pve1/qemu/100/clone', { newid: 101 }));
        assert.equal(e.kind, 'timeout');
        assert.match(e.message, /may still have been carried out; it was not sent again/);
        await sleep(700); // a late resend would show up here
        assert.equal(server.requests.length, 1);
        assert.equal(c.requestCount, 1);
      } finally {
        await c.close();
      }
    });

    it('a POST whose connection drops is not resent', async () => {
      handler = (_r, res) => res.socket?.destroy();
      const e = await rejects(client.post('/nodes/pve1/qemu/100/status/start'));
      assert.equal(e.kind, 'network');
      await sleep(200);
      assert.equal(server.requests.length, 1);
    });

    it('a GET is retried once when the connection drops', async () => {
      handler = (_r, res, i) => (i === 0 ? res.socket?.destroy() : reply(res, 200, [{ node: 'pve1', status: 'online' }]));
      const nodes = await client.nodes();
      assert.deepEqual(nodes, [{ node: 'pve1', status: 'online' }]);
      assert.equal(server.requests.length, 2);
      assert.equal(client.requestCount, 2);
    });

    it('a GET is retried only once', async () => {
      handler = (_r, res) => res.socket?.destroy();
      const e = await rejects(client.nodes());
      assert.equal(e.kind, 'network');
      assert.match(e.message, /dropped during GET \/nodes/);
      assert.equal(server.requests.length, 2);
    });

    it('a GET that times out is not retried', async () => {
      handler = () => undefined;
      const c = new ProxmoxClient({ url: server.url, fingerprint: certs.serverFingerprint, auth, timeoutMs: 300 });
      try {
        const e = await rejects(c.get('/version'));
        assert.equal(e.kind, 'timeout');
        await sleep(300);
        assert.equal(server.requests.length, 1);
      } finally {
        await c.close();
      }
    });

    it('a per-request timeout overrides the connection default', async () => {
      handler = (_r, res) => setTimeout(() => reply(res, 200, 'late'), 400);
      const e = await rejects(client.get('/version', undefined, { timeoutMs: 100 }));
      assert.equal(e.kind, 'timeout');
      assert.equal(await client.get('/version', undefined, { timeoutMs: 1500 }), 'late');
    });

    it('an AbortSignal aborts with its own reason, not a ProxmoxError', async () => {
      handler = () => undefined;
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(new Error('user cancelled')), 50);
      await assert.rejects(client.get('/version', undefined, { signal: ctl.signal }), /user cancelled/);
    });
  });

  describe('bounded responses (issue 12 item 9)', () => {
    it('stops reading a body past the limit and says so; an answer under it is read', async () => {
      const big = 'x'.repeat(64 * 1024);
      handler = (_r, res) => {
        // An endless body: chunks until the client hangs up.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data":"');
        const more = () => { if (!res.destroyed && res.write(big)) setImmediate(more); else if (!res.destroyed) res.once('drain', more); };
        more();
        res.on('close', () => undefined);
      };
      const c = new ProxmoxClient({ url: server.url, fingerprint: certs.serverFingerprint, auth, timeoutMs: 5000, maxResponseBytes: 1024 * 1024 });
      try {
        const e = await rejects(c.version());
        assert.equal(e.kind, 'too-large');
        assert.match(e.message, /more than 1 MiB for GET \/version/);
        handler = (_r, res) => reply(res, 200, { version: '9.1.3', release: '9.1', repoid: big.slice(0, 500_000) });
        assert.equal((await c.version()).version, '9.1.3');
      } finally {
        await c.close();
      }
    });
  });

  describe('typed errors', () => {
    const cases: { status: number; reason: string; kind: string; body?: unknown; msg: RegExp }[] = [
      { status: 401, reason: 'authentication failure', kind: 'auth', msg: /Authentication failed for GET \/nodes .*token ID and secret/ },
      { status: 403, reason: 'Permission check failed (/vms/100, VM.PowerMgmt)', kind: 'permission', msg: /Permission denied for GET \/nodes: Permission check failed \(\/vms\/100, VM\.PowerMgmt\)/ },
      { status: 500, reason: 'VM is locked (clone)', kind: 'server', msg: /Proxmox failed GET \/nodes: VM is locked \(clone\)/ },
      { status: 501, reason: "Method 'GET /nodes' not implemented", kind: 'not-implemented', msg: /not available on this Proxmox server/ },
      { status: 595, reason: 'Connection refused', kind: 'node-offline', msg: /offline or unreachable/ },
      { status: 596, reason: 'Connection timed out', kind: 'node-offline', msg: /offline or unreachable/ },
      { status: 502, reason: 'Bad Gateway', kind: 'server', msg: /Bad Gateway/ },
    ];
    for (const c of cases) {
      it(`${c.status} -> ${c.kind}`, async () => {
        handler = (_r, res) => reply(res, c.status, null, c.reason);
        const e = await rejects(client.nodes());
        assert.equal(e.kind, c.kind);
        assert.equal(e.status, c.status);
        assert.equal(e.reason, c.reason);
        assert.equal(e.method, 'GET');
        assert.equal(e.path, '/nodes');
        assert.match(e.message, c.msg);
      });
    }

    it('400 carries the parameter errors and the body message', async () => {
      handler = (_r, res) => reply(res, 400, null, 'Parameter verification failed.', {
        errors: { vmid: 'VM 218 already exists', bogus: 'property is not defined in schema and the schema does not allow additional properties' },
        message: 'Parameter verification failed.\n',
      });
      const e = await rejects(client.post('/nodes/pve1/qemu', { vmid: 218, bogus: 1 }));
      assert.equal(e.kind, 'parameter');
      assert.equal(e.status, 400);
      assert.deepEqual(e.errors, { vmid: 'VM 218 already exists', bogus: 'property is not defined in schema and the schema does not allow additional properties' });
      assert.equal(e.pveMessage, 'Parameter verification failed.');
      assert.match(e.message, /Proxmox rejected POST \/nodes\/pve1\/qemu: Parameter verification failed\. vmid: VM 218 already exists/);
    });

    it('401 with an empty body and no content type (as pveproxy sends it)', async () => {
      handler = (_r, res) => {
        res.writeHead(401, 'No ticket');
        res.end();
      };
      const e = await rejects(client.version());
      assert.equal(e.kind, 'auth');
      assert.equal(e.reason, 'No ticket');
    });

    it('an HTML page is not Proxmox', async () => {
      handler = (_r, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<!DOCTYPE html><html><body>Welcome to nginx</body></html>');
      };
      const e = await rejects(client.version());
      assert.equal(e.kind, 'not-proxmox');
      assert.match(e.message, /HTML page .*port 8006/);
    });

    it('an HTML error page is not Proxmox either', async () => {
      handler = (_r, res) => {
        res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<html><body>Not Found</body></html>');
      };
      assert.equal((await rejects(client.version())).kind, 'not-proxmox');
    });

    it('a 200 with a non-JSON content type is not Proxmox', async () => {
      handler = (_r, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('{"data":1}');
      };
      const e = await rejects(client.version());
      assert.equal(e.kind, 'not-proxmox');
      assert.match(e.message, /"text\/plain" instead of JSON/);
    });

    it('JSON without the data envelope is not Proxmox', async () => {
      handler = (_r, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"version":"9.1"}');
      };
      const e = await rejects(client.version());
      assert.equal(e.kind, 'not-proxmox');
      assert.match(e.message, /envelope/);
    });

    it('broken JSON is not Proxmox', async () => {
      handler = (_r, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' });
        res.end('{"data":');
      };
      assert.equal((await rejects(client.version())).kind, 'not-proxmox');
    });

    it('accepts JSON content-type variants (charset spelling, no charset)', async () => {
      handler = (_r, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('{"data":{"version":"9.1.3"}}');
      };
      assert.equal((await client.version()).version, '9.1.3');
    });

    it('never puts the token secret in an error, even when the server echoes it', async () => {
      handler = (r, res) => reply(res, 400, null, `bad token ${r.headers.authorization}`, {
        errors: { secret: `value ${TOKEN_SECRET} rejected` }, message: `echo ${TOKEN_SECRET}`,
      });
      const e = await rejects(client.version());
      const everything = JSON.stringify({ m: e.message, r: e.reason, e: e.errors, p: e.pveMessage, s: e.stack });
      assert.ok(!everything.includes(TOKEN_SECRET), everything);
      assert.match(e.message, /\*\*\*/);
    });

    it('an unknown host is a network error naming the host', async () => {
      const c = new ProxmoxClient({ url: 'https://pve-does-not-exist.invalid:8006', fingerprint: certs.serverFingerprint, auth });
      try {
        const e = await rejects(c.version());
        assert.equal(e.kind, 'network');
        assert.match(e.message, /Host "pve-does-not-exist\.invalid" not found/);
      } finally {
        await c.close();
      }
    });

    it('a refused connection names host and port', async () => {
      const s = await startHttps(() => undefined);
      const url = s.url;
      await s.close();
      const c = new ProxmoxClient({ url, fingerprint: certs.serverFingerprint, auth });
      try {
        const e = await rejects(c.version());
        assert.equal(e.kind, 'network');
        assert.match(e.message, /refused the connection.*8006/);
        assert.ok(e.message.includes(url.replace('https://', '')));
      } finally {
        await c.close();
      }
    });
  });

  describe('requests on the wire', () => {
    it('sends the API token header and no cookie', async () => {
      handler = (_r, res) => reply(res, 200, { version: '9.1.3', release: '9.1', repoid: 'x' });
      await client.version();
      const r = server.requests[0];
      assert.equal(r.method, 'GET');
      assert.equal(r.url, '/api2/json/version');
      assert.equal(r.headers.authorization, `PVEAPIToken=${TOKEN_ID}=${TOKEN_SECRET}`);
      assert.equal(r.headers.cookie, undefined);
      assert.equal(r.headers.csrfpreventiontoken, undefined);
    });

    it('form-encodes POST bodies: booleans 0/1, ";" and "=" survive, encoded values are encoded again', async () => {
      handler = (_r, res) => reply(res, 200, null);
      const sshkeys = encodeURIComponent('ssh-ed25519 AAAAC3Nza user@host').replace(/\+/g, '%2B');
      await client.post('/nodes/pve1/qemu/100/config', {
        boot: 'order=scsi0;ide2', onboot: true, agent: false, sshkeys, ipconfig0: 'ip=10.0.0.10/24,gw=10.0.0.1',
        skip: undefined, nothing: null, name: 'a b&c', cores: 2,
      });
      const r = server.requests[0];
      assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.ok(!r.url.includes('?'), 'POST parameters go in the body');
      // Server-side decoding gives back exactly what was meant.
      const f = new URLSearchParams(r.body);
      assert.equal(f.get('boot'), 'order=scsi0;ide2');
      assert.equal(f.get('onboot'), '1');
      assert.equal(f.get('agent'), '0');
      assert.equal(f.get('sshkeys'), sshkeys);
      assert.equal(decodeURIComponent(f.get('sshkeys')!), 'ssh-ed25519 AAAAC3Nza user@host');
      assert.equal(f.get('ipconfig0'), 'ip=10.0.0.10/24,gw=10.0.0.1');
      assert.equal(f.get('name'), 'a b&c');
      assert.equal(f.get('cores'), '2');
      assert.ok(!f.has('skip') && !f.has('nothing'));
      // Raw form: ";" encoded (PVE also splits on it), space as %20, the %20 of sshkeys as %2520.
      assert.match(r.body, /boot=order%3Dscsi0%3Bide2/);
      assert.match(r.body, /name=a%20b%26c/);
      assert.match(r.body, /sshkeys=ssh-ed25519%2520AAAAC3Nza%2520user%2540host/);
      assert.ok(!r.body.includes('+'));
    });

    it('puts GET and DELETE parameters in the query string', async () => {
      handler = (_r, res) => reply(res, 200, []);
      await client.get('/cluster/resources', { type: 'vm', full: true });
      await client.delete('/nodes/pve1/qemu/100', { purge: true, 'destroy-unreferenced-disks': 1 });
      assert.equal(server.requests[0].url, '/api2/json/cluster/resources?type=vm&full=1');
      assert.equal(server.requests[1].method, 'DELETE');
      assert.equal(query(server.requests[1]).get('purge'), '1');
      assert.equal(query(server.requests[1]).get('destroy-unreferenced-disks'), '1');
      assert.equal(server.requests[1].body, '');
    });

    it('encodeParams repeats arrays and refuses objects', () => {
      assert.equal(encodeParams({ a: ['x', 'y;z'] }), 'a=x&a=y%3Bz');
      assert.throws(() => encodeParams({ a: { b: 1 } }), /Parameter "a" must be a string, number or boolean/);
    });

    it('counts requests', async () => {
      handler = (_r, res) => reply(res, 200, []);
      assert.equal(client.requestCount, 0);
      await client.resources('vm');
      await client.resources();
      assert.equal(client.requestCount, 2);
      assert.deepEqual(server.requests.map(apiPath), ['/cluster/resources', '/cluster/resources']);
    });
  });
});
