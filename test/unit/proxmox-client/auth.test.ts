import { strict as assert } from 'node:assert';
import { InvalidInputError, ProxmoxClient, ProxmoxError } from '../../../src/providers/proxmox';
import { apiPath, makeCerts, reply, startHttps, type FixtureServer } from './https-fixture';

const PASSWORD = 'correct horse;battery=staple';

describe('proxmox client ticket authentication', () => {
  const certs = makeCerts();
  let server: FixtureServer;
  // ticket -> CSRF token, for the tickets the fake pveproxy issued and still honours
  const valid = new Map<string, string>();
  let issued = 0;
  let clock = 1_000_000;
  const clients: ProxmoxClient[] = [];
  const client = (auth: Record<string, string>, extra: Record<string, unknown> = {}) => {
    const c = new ProxmoxClient({
      url: server.url, fingerprint: certs.serverFingerprint, now: () => clock, timeoutMs: 3000,
      auth: { kind: 'ticket', ...auth } as never, ...extra,
    });
    clients.push(c);
    return c;
  };

  const issue = (res: Parameters<typeof reply>[0], username: string) => {
    issued++;
    const ticket = `PVE:${username}:6740${issued.toString(16).padStart(4, '0')}::sig+/${issued}==`;
    const csrf = `6740${issued}:csrf${issued}`;
    valid.set(ticket, csrf);
    reply(res, 200, { username, ticket, CSRFPreventionToken: csrf, cap: {} });
  };

  before(async () => {
    server = await startHttps((r, res) => {
      if (apiPath(r) === '/access/ticket' && r.method === 'POST') {
        const f = new URLSearchParams(r.body);
        const user = f.get('realm') && !f.get('username')!.includes('@') ? `${f.get('username')}@${f.get('realm')}` : f.get('username')!;
        if (user === 'root@pam' && f.get('password') === PASSWORD) return issue(res, user);
        if (valid.has(f.get('password')!)) return issue(res, user); // renewal with the old ticket
        res.writeHead(401, 'authentication failure');
        return res.end();
      }
      const ticket = /PVEAuthCookie=([^;]+)/.exec(r.headers.cookie ?? '')?.[1];
      if (!ticket || !valid.has(ticket)) {
        res.writeHead(401, 'No ticket');
        return res.end();
      }
      if (r.method !== 'GET' && r.headers.csrfpreventiontoken !== valid.get(ticket)) {
        res.writeHead(401, 'Permission denied - invalid csrf token');
        return res.end();
      }
      reply(res, 200, r.method === 'GET' ? [{ node: 'pve1', status: 'online' }] : 'UPID:pve1:00001234:00005678:67400000:qmstart:100:root@pam:');
    });
  });
  beforeEach(() => {
    server.requests.length = 0;
    valid.clear();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  it('logs in once, sends the cookie, and the CSRF header only on non-GET', async () => {
    const c = client({ username: 'root@pam', password: PASSWORD });
    assert.deepEqual(await c.nodes(), [{ node: 'pve1', status: 'online' }]);
    await c.post('/nodes/pve1/qemu/100/status/start');
    await c.get('/nodes');
    const [login, get, post, get2] = server.requests;
    assert.equal(server.requests.length, 4, 'one login for three calls');
    assert.equal(apiPath(login), '/access/ticket');
    assert.equal(login.headers.cookie, undefined);
    assert.equal(new URLSearchParams(login.body).get('password'), PASSWORD, 'password form-encoded intact');
    const ticket = [...valid.keys()][0];
    assert.equal(get.headers.cookie, `PVEAuthCookie=${ticket}`);
    assert.equal(get.headers.csrfpreventiontoken, undefined);
    assert.equal(get.headers.authorization, undefined);
    assert.equal(post.headers.cookie, `PVEAuthCookie=${ticket}`);
    assert.equal(post.headers.csrfpreventiontoken, valid.get(ticket));
    assert.equal(get2.headers.csrfpreventiontoken, undefined);
  });

  it('sends the realm separately when given', async () => {
    const c = client({ username: 'root', realm: 'pam', password: PASSWORD });
    await c.nodes();
    const f = new URLSearchParams(server.requests[0].body);
    assert.equal(f.get('username'), 'root');
    assert.equal(f.get('realm'), 'pam');
  });

  it('concurrent first calls share one login', async () => {
    const c = client({ username: 'root@pam', password: PASSWORD });
    await Promise.all([c.nodes(), c.nodes(), c.nodes()]);
    assert.equal(server.requests.filter((r) => apiPath(r) === '/access/ticket').length, 1);
  });

  it('renews the ticket before it expires by posting the old ticket as password', async () => {
    const c = client({ username: 'root@pam', password: PASSWORD });
    await c.nodes();
    const first = [...valid.keys()][0];
    clock += 30 * 60 * 1000; // 30 min: still fresh
    await c.nodes();
    assert.equal(server.requests.filter((r) => apiPath(r) === '/access/ticket').length, 1);
    clock += 40 * 60 * 1000; // 70 min: renew
    await c.nodes();
    const logins = server.requests.filter((r) => apiPath(r) === '/access/ticket');
    assert.equal(logins.length, 2);
    const renewal = new URLSearchParams(logins[1].body);
    assert.equal(renewal.get('username'), 'root@pam');
    assert.equal(renewal.get('password'), first);
    const second = [...valid.keys()][1];
    assert.notEqual(second, first);
    assert.equal(server.requests.at(-1)!.headers.cookie, `PVEAuthCookie=${second}`);
  });

  it('logs in afresh with the password when the old ticket is refused at renewal', async () => {
    const c = client({ username: 'root@pam', password: PASSWORD });
    await c.nodes();
    valid.clear(); // the server forgot every ticket (e.g. restarted with a new key)
    clock += 70 * 60 * 1000;
    await c.nodes();
    const logins = server.requests.filter((r) => apiPath(r) === '/access/ticket').map((r) => new URLSearchParams(r.body).get('password'));
    assert.equal(logins.length, 3);
    assert.equal(logins[2], PASSWORD);
  });

  it('a refused ticket is dropped: the next call logs in again (the refused call is not resent)', async () => {
    const c = client({ username: 'root@pam', password: PASSWORD });
    await c.nodes();
    valid.clear();
    const e = await c.post('/nodes/pve1/qemu/100/status/start').catch((x) => x);
    assert.ok(e instanceof ProxmoxError && e.kind === 'auth');
    assert.equal(server.requests.filter((r) => r.method === 'POST' && apiPath(r) !== '/access/ticket').length, 1);
    await c.nodes();
    assert.equal(server.requests.filter((r) => apiPath(r) === '/access/ticket').length, 2);
  });

  it('a wrong password is an auth error that names what to check and hides the password', async () => {
    const c = client({ username: 'root@pam', password: 'wrong-password-123' });
    const e = await c.nodes().catch((x) => x);
    assert.ok(e instanceof ProxmoxError);
    assert.equal(e.kind, 'auth');
    assert.equal(e.path, '/access/ticket');
    assert.match(e.message, /check the username, password and realm/);
    assert.ok(!e.message.includes('wrong-password-123'));
    assert.equal(server.requests.length, 1, 'no call is made without a ticket');
  });

  it('refuses a username without realm before any request', () => {
    assert.throws(() => client({ username: 'root', password: PASSWORD }), (e: unknown) =>
      e instanceof InvalidInputError && e.field === 'username' && /root@pam/.test(e.message));
  });

  it('refuses a malformed API token before any request', () => {
    assert.throws(() => new ProxmoxClient({ url: server.url, fingerprint: certs.serverFingerprint,
      auth: { kind: 'token', tokenId: 'root@pam', secret: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d' } }), /has no "!"/);
    assert.throws(() => new ProxmoxClient({ url: server.url, fingerprint: certs.serverFingerprint,
      auth: { kind: 'token', tokenId: 'root@pam!t', secret: 'not-a-uuid' } }), /must be a UUID/);
  });
});
