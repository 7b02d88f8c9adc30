import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ProxmoxClient, ProxmoxError, fetchServerCertificate } from '../../../src/providers/proxmox';
import { makeCerts, reply, startHttps, TOKEN_ID, TOKEN_SECRET, type FixtureServer } from './https-fixture';

const auth = { kind: 'token' as const, tokenId: TOKEN_ID, secret: TOKEN_SECRET };
const VERSION = { version: '9.1.3', release: '9.1', repoid: 'abc' };

async function rejects(p: Promise<unknown>): Promise<ProxmoxError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProxmoxError, `expected ProxmoxError, got ${e}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('proxmox client TLS', () => {
  const certs = makeCerts();
  let server: FixtureServer;
  let other: FixtureServer; // presents a self-signed certificate of another key
  const clients: ProxmoxClient[] = [];
  const client = (o: Partial<ConstructorParameters<typeof ProxmoxClient>[0]> & { url: string }) => {
    const c = new ProxmoxClient({ auth, timeoutMs: 3000, ...o });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startHttps((_r, res) => reply(res, 200, VERSION));
    other = await startHttps((_r, res) => reply(res, 200, VERSION), { key: certs.otherKey, cert: certs.otherCert });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    await other.close();
  });

  it('accepts the pinned fingerprint (as openssl prints it)', async () => {
    const c = client({ url: server.url, fingerprint: certs.serverFingerprint });
    assert.deepEqual(await c.version(), VERSION);
  });

  it('accepts the pin in lowercase without colons', async () => {
    const c = client({ url: server.url, fingerprint: certs.serverFingerprint.replace(/:/g, '').toLowerCase() });
    assert.equal((await c.version()).version, '9.1.3');
  });

  it('refuses a wrong fingerprint before any request reaches the server', async () => {
    const before = other.requests.length;
    const c = client({ url: other.url, fingerprint: certs.serverFingerprint });
    const e = await rejects(c.version());
    assert.equal(e.kind, 'tls-untrusted');
    assert.equal(e.expectedFingerprint, certs.serverFingerprint);
    assert.equal(e.actualFingerprint, certs.otherFingerprint);
    assert.match(e.message, /does not match the pinned fingerprint/);
    assert.ok(other.connections > 0, 'the client did connect');
    assert.equal(other.requests.length, before, 'the server saw no HTTP request');
  });

  it('writes not one byte after the handshake when the pin does not match (raw TLS server)', async () => {
    let received = 0;
    let tcp = 0;
    const raw = tls.createServer({ key: certs.otherKey, cert: certs.otherCert }, (s) => {
      s.on('data', (d) => (received += d.length));
      s.on('error', () => undefined);
    });
    raw.on('connection', () => tcp++);
    raw.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const port = (raw.address() as net.AddressInfo).port;
    try {
      // Control: this server does observe bytes a client writes right after its handshake.
      await new Promise<void>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => s.write('GET / HTTP/1.1\r\n\r\n', () => setTimeout(() => { s.destroy(); resolve(); }, 50)));
        s.on('error', reject);
      });
      assert.ok(received > 0, 'control client bytes were seen');
      received = 0;
      tcp = 0;
      const c = client({ url: `https://127.0.0.1:${port}`, fingerprint: certs.serverFingerprint });
      const e = await rejects(c.post('/nodes/pve1/qemu/100/status/start'));
      assert.equal(e.kind, 'tls-untrusted');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(tcp, 1);
      assert.equal(received, 0, 'no application data (no request line, no token) was sent');
    } finally {
      raw.close();
    }
  });

  it('verifies against the given CA', async () => {
    const c = client({ url: server.url, caPem: certs.caPem });
    assert.equal((await c.version()).release, '9.1');
  });

  it('refuses a certificate not signed by the given CA, without sending a request', async () => {
    const before = server.requests.length;
    const c = client({ url: server.url, caPem: certs.otherCaPem });
    const e = await rejects(c.version());
    assert.equal(e.kind, 'tls-untrusted');
    assert.match(e.message, /not trusted/);
    assert.equal(server.requests.length, before);
  });

  it('with neither pin nor CA, a private certificate is not trusted (verification is never off)', async () => {
    const c = client({ url: server.url });
    const e = await rejects(c.version());
    assert.equal(e.kind, 'tls-untrusted');
  });

  it('a port that does not speak TLS is reported as not Proxmox', async () => {
    const plain = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const port = (plain.address() as net.AddressInfo).port;
    try {
      const e = await rejects(client({ url: `https://127.0.0.1:${port}`, fingerprint: certs.serverFingerprint }).version());
      assert.ok(['not-proxmox', 'network'].includes(e.kind), e.kind);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    } finally {
      plain.close();
    }
  });

  it('the connect timeout covers a server that never completes the TLS handshake', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const t0 = Date.now();
      const c = client({ url: `https://127.0.0.1:${port}`, fingerprint: certs.serverFingerprint, timeoutMs: 10000, connectTimeoutMs: 250 });
      const e = await rejects(c.version());
      assert.equal(e.kind, 'timeout');
      assert.match(e.message, /Could not connect to 127\.0\.0\.1:\d+ within/);
      assert.ok(Date.now() - t0 < 3000, 'the connect timeout, not the request timeout, fired');
    } finally {
      silent.close();
    }
  });

  describe('fetchServerCertificate', () => {
    it('returns what the server presents, and sends no HTTP request', async () => {
      const before = server.requests.length;
      const cert = await fetchServerCertificate(server.url, 3000);
      assert.equal(cert.fingerprint256, certs.serverFingerprint);
      assert.match(cert.subject, /CN=localhost/);
      assert.match(cert.subject, /O=PVE Cluster Node/);
      assert.match(cert.issuer, /CN=Test PVE Cluster CA/);
      assert.ok(Date.parse(cert.validFrom) < Date.now() && Date.parse(cert.validTo) > Date.now());
      assert.match(cert.pem, /^-----BEGIN CERTIFICATE-----\n/);
      // The PEM is the same certificate: pinning its fingerprint works.
      assert.equal(new (await import('node:crypto')).X509Certificate(cert.pem).fingerprint256, certs.serverFingerprint);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(server.requests.length, before);
    });

    it('names the refusing host and port', async () => {
      const s = net.createServer();
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      const port = (s.address() as net.AddressInfo).port;
      await new Promise<void>((r) => s.close(() => r()));
      const e = await rejects(fetchServerCertificate(`https://127.0.0.1:${port}`, 2000));
      assert.equal(e.kind, 'network');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port} refused`));
    });

    it('times out on a server that never completes the handshake', async () => {
      const silent = net.createServer(() => undefined);
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const t0 = Date.now();
        const e = await rejects(fetchServerCertificate(`https://127.0.0.1:${port}`, 300));
        assert.equal(e.kind, 'timeout');
        assert.ok(Date.now() - t0 < 2000);
      } finally {
        silent.close();
      }
    });
  });
});
