// Issue 12 item 8: bad input is answered with what is wrong, never a crash or a misleading error.
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaFileError, clusterTrust, normaliseFingerprint, parseCaPem, ProxmoxClient, readCaFile } from '../../../src/providers/proxmox';
import { decodePercent } from '../../../src/providers/percent';
import { curlTlsProblem } from '../../../src/providers/nix/remote-upload';
import { makeCerts, reply, startHttps, TOKEN_ID, TOKEN_SECRET, type FixtureServer } from './https-fixture';

describe('bad input answered, not crashed', () => {
  it('a "%" that is no escape survives link decoding (decodeURIComponent threw URIError)', () => {
    assert.equal(decodePercent('100%-uptime.md'), '100%-uptime.md');
    assert.equal(decodePercent('caf%C3%A9%20100%.md'), 'café 100%.md');
    assert.equal(decodePercent('%C3 alone'), '%C3 alone');
    assert.equal(decodePercent('%E2%9C%85-done.md'), '✅-done.md');
    assert.equal(decodePercent('50%25'), '50%');
  });

  describe('a CA file that is not a PEM certificate says what it is', () => {
    const certs = makeCerts();
    let dir: string;
    before(() => { dir = mkdtempSync(join(tmpdir(), 'ca-file-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, data: string | Buffer) => { const p = join(dir, name); writeFileSync(p, data); return p; };

    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['empty', '', /is empty/],
      ['DER', new X509Certificate(makeCerts().caPem).raw, /binary \(DER\).*openssl x509 -inform der/],
      ['private key', makeCerts().serverKey, /contains a private key/],
      ['text', 'hello, this is not a certificate\n', /holds no PEM certificate/],
      ['damaged', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /damaged certificate block/],
      ['request', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', /no CERTIFICATE/],
    ];
    for (const [name, data, re] of cases) {
      it(`${name}`, async () => {
        const p = file(name.replace(/ /g, '-'), data);
        await assert.rejects(readCaFile(p), (e: unknown) => e instanceof CaFileError && re.test(e.message) && !/not trusted/.test(e.message));
      });
    }
    it('a missing file is named as missing', async () => {
      await assert.rejects(readCaFile(join(dir, 'nope.pem')), /does not exist/);
    });
    it('a PEM bundle is accepted', () => {
      assert.equal((parseCaPem(Buffer.from(certs.caPem + certs.otherCaPem), 'b.pem').match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
    });

    it('a CA-file cluster is checked with its CA, never the system CAs (editing credentials probes this way)', async () => {
      const server: FixtureServer = await startHttps((_r, res) => reply(res, 200, { version: '9.1.3', release: '9.1', repoid: 'x' }));
      const auth = { kind: 'token' as const, tokenId: TOKEN_ID, secret: TOKEN_SECRET };
      try {
        const trust = await clusterTrust({ caFile: file('ca.pem', certs.caPem) });
        assert.ok(trust.caPem && !trust.fingerprint);
        const c = new ProxmoxClient({ url: server.url, ...trust, auth, timeoutMs: 3000 });
        assert.equal((await c.version()).release, '9.1');
        await c.close();
        // What the credentials edit did before: no pin and no CA, i.e. the system CAs, which refuse the lab's CA.
        const system = new ProxmoxClient({ url: server.url, auth, timeoutMs: 3000 });
        await assert.rejects(system.version(), /not trusted|certificate/i);
        await system.close();
        assert.deepEqual(await clusterTrust({ fingerprint: certs.serverFingerprint, caFile: '/nonexistent' }), { fingerprint: certs.serverFingerprint });
      } finally {
        await server.close();
      }
    });
  });

  it('OpenSSH-style SHA256:base64 fingerprints are accepted; other base64 is refused naming both formats', () => {
    const hex = makeCerts().serverFingerprint;
    const b64 = Buffer.from(hex.replace(/:/g, ''), 'hex').toString('base64').replace(/=+$/, '');
    assert.equal(normaliseFingerprint(`SHA256:${b64}`), hex);
    assert.equal(normaliseFingerprint(`sha256:${b64}=`), hex);
    assert.throws(() => normaliseFingerprint(`SHA256:${b64.slice(0, 30)}`), /SHA256:<base64>/);
    assert.throws(() => normaliseFingerprint('q2V5IGJsb2I='), /looks like base64/);
  });

  it('curl: a certificate not issued for the host is told apart from a different certificate', () => {
    assert.match(curlTlsProblem(60, "curl: (60) SSL: no alternative certificate subject name matches target host name 'vm'", 'vm')!, /not issued for "vm"/);
    assert.match(curlTlsProblem(90, 'curl: (90) SSL: public key does not match pinned public key', 'pve1')!, /different certificate than the pinned one/);
    assert.match(curlTlsProblem(60, 'curl: (60) SSL certificate problem: self-signed certificate', 'pve1')!, /not the pinned one/);
    assert.equal(curlTlsProblem(7, 'Failed to connect', 'pve1'), undefined);
  });
});
