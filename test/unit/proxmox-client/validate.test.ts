import { strict as assert } from 'node:assert';
import {
  InvalidInputError, normaliseFingerprint, parseClusterUrl, validateFingerprint, validateTokenId, validateTokenSecret,
} from '../../../src/providers/proxmox';

const FP = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

function urlError(input: string): string {
  try {
    parseClusterUrl(input);
  } catch (e) {
    assert.ok(e instanceof InvalidInputError);
    assert.equal(e.field, 'url');
    return e.message;
  }
  assert.fail(`"${input}" was accepted`);
}

describe('proxmox input validation', () => {
  describe('parseClusterUrl', () => {
    it('accepts https://host:8006, with / or /api2/json', () => {
      for (const u of ['https://pve1.lan:8006', 'https://pve1.lan:8006/', 'https://pve1.lan:8006/api2/json', ' https://PVE1.lan:8006/api2/json/ ']) {
        assert.deepEqual(parseClusterUrl(u), { origin: 'https://pve1.lan:8006', hostname: 'pve1.lan', port: 8006 });
      }
    });

    it('accepts IPv4 and IPv6 hosts', () => {
      assert.equal(parseClusterUrl('https://10.0.0.2:8006').hostname, '10.0.0.2');
      const v6 = parseClusterUrl('https://[fd00::2]:8006');
      assert.equal(v6.hostname, 'fd00::2');
      assert.equal(v6.origin, 'https://[fd00::2]:8006');
    });

    it('accepts an explicit :443 (a reverse proxy)', () => {
      assert.equal(parseClusterUrl('https://pve.example.org:443').port, 443);
    });

    it('asks for the https scheme', () => {
      assert.match(urlError('http://pve1.lan:8006'), /must start with https:\/\//);
      assert.match(urlError('pve1.lan:8006'), /no scheme: write it as https:\/\/pve1\.lan:8006/);
      assert.match(urlError('pve1.lan'), /https:\/\/pve1\.lan:8006/);
    });

    it('asks for the port', () => {
      assert.match(urlError('https://pve1.lan'), /no port: add :8006/);
      assert.match(urlError('https://pve1.lan/'), /add :8006/);
    });

    it('refuses other paths, queries and credentials', () => {
      assert.match(urlError('https://pve1.lan:8006/#v1:0:18:4'), /query string or fragment/);
      assert.match(urlError('https://pve1.lan:8006/pve'), /must not have a path \("\/pve"\)/);
      assert.match(urlError('https://pve1.lan:8006/api2/extjs'), /must not have a path/);
      assert.match(urlError('https://root:pw@pve1.lan:8006'), /credentials/);
      assert.match(urlError(''), /empty/);
      assert.match(urlError('https://:8006'), /not a valid URL|no host/);
    });
  });

  describe('validateTokenId', () => {
    it('accepts user@realm!name', () => {
      assert.equal(validateTokenId('root@pam!homelab'), undefined);
      assert.equal(validateTokenId('ops@pve!ci-runner_2'), undefined);
    });

    it('explains the missing "!"', () => {
      assert.match(validateTokenId('root@pam')!, /has no "!": write USER@REALM!TOKENNAME \(e\.g\. root@pam!homelab\)/);
    });

    it('explains other mistakes', () => {
      assert.match(validateTokenId('')!, /empty/);
      assert.match(validateTokenId('root!homelab')!, /no user@realm before the "!"/);
      assert.match(validateTokenId('root!x@pam')!, /realm before the "!"/);
      assert.match(validateTokenId('root@!tok')!, /empty realm/);
      assert.match(validateTokenId('root@pam!')!, /empty token name/);
      assert.match(validateTokenId('root@pam!1abc')!, /not valid/);
      assert.match(validateTokenId('root@pam !tok')!, /spaces/);
    });
  });

  describe('validateTokenSecret', () => {
    it('accepts a UUID', () => {
      assert.equal(validateTokenSecret('0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d'), undefined);
    });

    it('refuses anything else without echoing it', () => {
      const secretish = 'hunter2-not-a-uuid';
      const m = validateTokenSecret(secretish)!;
      assert.match(m, /must be a UUID/);
      assert.ok(!m.includes(secretish));
      assert.match(validateTokenSecret('')!, /empty/);
      assert.match(validateTokenSecret('root@pam!t=0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d')!, /only the UUID/);
      assert.match(validateTokenSecret('0b1c2d3e4f504a6b8c7d9e0f1a2b3c4d')!, /must be a UUID/);
    });
  });

  describe('normaliseFingerprint', () => {
    it('normalises lowercase, no-colon, spaced and prefixed input', () => {
      assert.equal(normaliseFingerprint(FP.toLowerCase()), FP);
      assert.equal(normaliseFingerprint(FP.replace(/:/g, '')), FP);
      assert.equal(normaliseFingerprint(FP.replace(/:/g, ' ')), FP);
      assert.equal(normaliseFingerprint(`sha256 Fingerprint=${FP}`), FP);
    });

    it('refuses wrong lengths and non-hex, naming the problem', () => {
      assert.throws(() => normaliseFingerprint(FP.slice(0, 59)), /SHA-256 \(32 bytes, 64 hex digits\); 20 bytes given \(that is a SHA-1/);
      assert.throws(() => normaliseFingerprint(FP.replace('AB', 'XY')), /hexadecimal/);
      assert.match(validateFingerprint('')!, /0 bytes given/);
      assert.equal(validateFingerprint(FP), undefined);
    });
  });
});
