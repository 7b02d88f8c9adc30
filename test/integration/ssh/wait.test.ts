import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf, freePort, startSshd, type SshdHandle } from '../../harness/sshd';
import { HostKeyDeclinedError, KnownHosts, SshWaitTimeoutError, connectSsh, waitForSsh, type HostKeyInfo } from '../../../src/providers/ssh';

describe('waitForSsh against a real sshd', function () {
  let dir: string;
  let kh: KnownHosts;
  const started: SshdHandle[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ssh-wait-'));
    kh = new KnownHosts(join(dir, 'known_hosts'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  after(async () => {
    for (const s of started) await s.stop();
  });

  it('retries until sshd starts late, then records the host key (TOFU)', async () => {
    const port = await freePort();
    const asked: HostKeyInfo[] = [];
    const errors: string[] = [];
    const t0 = Date.now();
    const late = new Promise<SshdHandle>((resolve, reject) =>
      setTimeout(() => startSshd({ port }).then((s) => { started.push(s); resolve(s); }, reject), 1500),
    );
    const result = await waitForSsh({
      host: '127.0.0.1', port, timeoutMs: 20_000, intervalMs: 200, knownHosts: kh,
      confirmUnknown: async (info) => { asked.push(info); return true; },
      onAttempt: (_n, e) => errors.push(e.message),
    });
    const sshd = await late;
    assert.ok(Date.now() - t0 >= 1400, 'did not resolve before sshd existed');
    assert.ok(result.attempts >= 2, `attempts: ${result.attempts}`);
    assert.ok(errors.length >= 1 && errors.every((m) => m.includes(`127.0.0.1:${port}`)), errors.join('\n'));
    assert.match(errors[0]!, /refused/i);
    const expected = fingerprintOf(sshd.hostPublicKeyPath);
    assert.equal(result.fingerprint, expected);
    assert.equal(result.status, 'added');
    assert.deepEqual(asked, [{ host: '127.0.0.1', port, keyType: 'ssh-ed25519', fingerprint: expected }]);
    assert.ok(readFileSync(kh.path, 'utf8').startsWith(`[127.0.0.1]:${port} ssh-ed25519 `));

    // the recorded key is then trusted by connectSsh without asking
    const s = await connectSsh({
      host: '127.0.0.1', port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, agentSocket: false,
      knownHosts: kh, confirmUnknown: async () => assert.fail('already known'),
    });
    assert.equal(s.hostKey.status, 'known');
    s.close();

    // and a second wait finds it known, first try
    const again = await waitForSsh({ host: '127.0.0.1', port, timeoutMs: 5000, knownHosts: kh, confirmUnknown: async () => assert.fail('known') });
    assert.equal(again.status, 'known');
    assert.equal(again.attempts, 1);
  });

  it('times out naming host:port and the last error', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(
      waitForSsh({ host: '127.0.0.1', port, timeoutMs: 1500, intervalMs: 100, knownHosts: kh, confirmUnknown: async () => true }),
      (e: unknown) => {
        assert.ok(e instanceof SshWaitTimeoutError, String(e));
        assert.ok(e.message.includes(`127.0.0.1:${port}`));
        assert.match(e.message, /refused/i);
        assert.ok(e.attempts >= 3, `attempts ${e.attempts}`);
        return true;
      },
    );
    const took = Date.now() - t0;
    assert.ok(took >= 1400 && took < 4000, `took ${took} ms`);
    assert.equal(existsSync(kh.path), false);
  });

  it('times out against a port that accepts TCP but never speaks SSH', async () => {
    const socks: Socket[] = [];
    const srv = createServer((c) => socks.push(c));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      await assert.rejects(
        waitForSsh({ host: '127.0.0.1', port, timeoutMs: 1200, intervalMs: 100, knownHosts: kh, confirmUnknown: async () => true }),
        (e: unknown) => e instanceof SshWaitTimeoutError && /timed out/i.test(e.message) && e.message.includes(`127.0.0.1:${port}`),
      );
    } finally {
      socks.forEach((s) => s.destroy());
      srv.close();
    }
  });

  it('honours the AbortSignal while retrying', async () => {
    const port = await freePort();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 400);
    const t0 = Date.now();
    await assert.rejects(
      waitForSsh({ host: '127.0.0.1', port, timeoutMs: 60_000, intervalMs: 100, signal: ac.signal, knownHosts: kh, confirmUnknown: async () => true }),
      { name: 'AbortError' },
    );
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(
      waitForSsh({ host: '127.0.0.1', port, signal: AbortSignal.abort(), knownHosts: kh, confirmUnknown: async () => true }),
      { name: 'AbortError' },
    );
  });

  it('a declined key stops waiting at once and stores nothing', async () => {
    const sshd = await startSshd();
    started.push(sshd);
    await assert.rejects(
      waitForSsh({ host: sshd.host, port: sshd.port, timeoutMs: 20_000, knownHosts: kh, confirmUnknown: async () => false }),
      HostKeyDeclinedError,
    );
    assert.equal(existsSync(kh.path), false);
  });

  it('rejects bad input', async () => {
    await assert.rejects(waitForSsh({ host: '', knownHosts: kh, confirmUnknown: async () => true }), TypeError);
    await assert.rejects(waitForSsh({ host: 'x', port: 0, knownHosts: kh, confirmUnknown: async () => true }), TypeError);
  });
});
