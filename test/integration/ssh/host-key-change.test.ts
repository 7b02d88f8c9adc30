import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf, startSshd, type SshdHandle } from '../../harness/sshd';
import { HostKeyMismatchError, KnownHosts, connectSsh, waitForSsh } from '../../../src/providers/ssh';

const AUTH_LOG = /publickey|Accepted key|authenticating user/;

describe('SSH host key changed (real sshd restarted with a new key)', function () {
  let sshd: SshdHandle;
  let dir: string;
  let kh: KnownHosts;

  before(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'ssh-hkc-'));
    kh = new KnownHosts(join(dir, 'known_hosts'));
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = (confirmUnknown: () => Promise<boolean>) =>
    connectSsh({
      host: sshd.host, port: sshd.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath,
      agentSocket: false, knownHosts: kh, confirmUnknown,
    });

  it('refuses the new key with HostKeyMismatchError, before any authentication', async () => {
    const oldFp = fingerprintOf(sshd.hostPublicKeyPath);
    const first = await connect(async () => true);
    assert.equal(first.hostKey.fingerprint, oldFp);
    first.close();
    assert.match(sshd.logs(), /Accepted publickey for/, 'control: a normal login is visible in the log');
    const storedBefore = readFileSync(kh.path, 'utf8');

    const port = sshd.port;
    await sshd.regenerateHostKey();
    assert.equal(sshd.port, port);
    const newFp = fingerprintOf(sshd.hostPublicKeyPath);
    assert.notEqual(newFp, oldFp);

    const logBefore = sshd.logs().length;
    let asked = 0;
    await assert.rejects(
      connect(async () => { asked++; return true; }),
      (e: unknown) => {
        assert.ok(e instanceof HostKeyMismatchError, String(e));
        assert.deepEqual(e.storedFingerprints, [oldFp]);
        assert.equal(e.presentedFingerprint, newFp);
        assert.match(e.message, /man-in-the-middle/);
        assert.ok(e.message.includes(kh.path), 'says which file holds the old key');
        assert.ok(e.message.includes(`127.0.0.1:${port}`));
        assert.match(e.message, /remove/);
        return true;
      },
    );
    assert.equal(asked, 0, 'a mismatch is never offered for confirmation');
    assert.equal(readFileSync(kh.path, 'utf8'), storedBefore, 'known_hosts unchanged');
    await new Promise((r) => setTimeout(r, 200));
    const log = sshd.logs().slice(logBefore);
    assert.match(log, /Connection from 127\.0\.0\.1/, 'sshd saw the connection');
    assert.doesNotMatch(log, AUTH_LOG, 'no authentication was attempted');

    // waitForSsh refuses it too, at once, without retrying
    const started = Date.now();
    await assert.rejects(
      waitForSsh({ host: sshd.host, port, timeoutMs: 20_000, intervalMs: 100, knownHosts: kh, confirmUnknown: async () => true }),
      HostKeyMismatchError,
    );
    assert.ok(Date.now() - started < 5000);
  });

  it('after remove(), the new key is asked about and accepted', async () => {
    assert.equal(await kh.remove(sshd.host, sshd.port), 1);
    const asked: string[] = [];
    const s = await connect(async () => { asked.push('x'); return true; });
    assert.equal(asked.length, 1);
    assert.equal(s.hostKey.fingerprint, fingerprintOf(sshd.hostPublicKeyPath));
    assert.equal((await s.exec('echo back')).stdout, 'back\n');
    s.close();
  });
});
