import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf, freePort, startSshd, type SshdHandle } from '../../harness/sshd';
import {
  HostKeyDeclinedError,
  KnownHosts,
  SshAuthError,
  SshConnectError,
  SshKeyFileError,
  connectSsh,
  generateEd25519KeyPair,
  type HostKeyInfo,
  type SshSession,
  type SshShell,
} from '../../../src/providers/ssh';

const trustAll = async () => true;

/** Collects all shell output; waitFor(re) resolves when re matches output after the previous match. */
function collect(shell: SshShell) {
  let buf = '';
  let from = 0;
  let wake = () => {};
  shell.onData((d) => { buf += d; wake(); });
  return {
    waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}; got ${JSON.stringify(buf.slice(from))}`)), timeoutMs);
        const test = () => {
          const m = re.exec(buf.slice(from));
          if (!m) return;
          clearTimeout(t);
          from += m.index + m[0].length;
          wake = () => {};
          resolve(m[0]);
        };
        wake = test;
        test();
      });
    },
  };
}

describe('SSH session against a real sshd', function () {
  let sshd: SshdHandle;
  let work: string;
  let encryptedKey: string;
  const sessions: SshSession[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ssh-session-test-'));
    encryptedKey = join(work, 'id_encrypted');
    const pair = await generateEd25519KeyPair({ privatePath: encryptedKey, comment: 'encrypted@test', passphrase: 'correct horse' });
    sshd = await startSshd({ userPublicKey: pair.publicKeyLine });
  });
  after(async () => {
    for (const s of sessions) s.close();
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  let khPath: string;
  let kh: KnownHosts;
  beforeEach(() => {
    khPath = join(mkdtempSync(join(work, 'kh-')), 'homelab', 'known_hosts');
    kh = new KnownHosts(khPath);
  });

  async function connect(extra: Partial<Parameters<typeof connectSsh>[0]> = {}): Promise<SshSession> {
    const s = await connectSsh({
      host: sshd.host, port: sshd.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath,
      agentSocket: false, knownHosts: kh, confirmUnknown: trustAll, ...extra,
    });
    sessions.push(s);
    return s;
  }

  describe('exec', () => {
    it('returns stdout, stderr and the exit code', async () => {
      const s = await connect();
      const r = await s.exec('echo hi; echo oops >&2; exit 3');
      assert.deepEqual(r, { stdout: 'hi\n', stderr: 'oops\n', code: 3, signal: null });
      const ok = await s.exec('printf "%s" "$USER"');
      assert.equal(ok.code, 0);
      assert.equal(ok.stdout, sshd.username);
    });

    it('reports a command killed by a signal', async () => {
      const s = await connect();
      const r = await s.exec('kill -TERM $$');
      assert.equal(r.code, null);
      assert.equal(r.signal, 'SIGTERM');
    });

    it('aborts a running command with the signal', async () => {
      const s = await connect();
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 300);
      await assert.rejects(s.exec('sleep 20', { signal: ac.signal }), { name: 'AbortError' });
      assert.ok(Date.now() - started < 5000);
      // the session is still usable
      assert.equal((await s.exec('echo still')).stdout, 'still\n');
    });

    it('refuses exec after close', async () => {
      const s = await connect();
      const closed = new Promise<Error | undefined>((r) => s.onClose(r));
      s.close();
      assert.equal(await closed, undefined, 'a close we asked for is not an error');
      await assert.rejects(s.exec('true'), /closed/);
    });
  });

  describe('PTY shell', () => {
    it('delivers output to onData and reflects resize in stty size', async () => {
      const s = await connect();
      const sh = await s.shell({ rows: 24, cols: 80, term: 'xterm' });
      const out = collect(sh);
      sh.write('stty size; echo "T=$TERM"\n');
      assert.equal(await out.waitFor(/\b24 80\r\n/), '24 80\r\n');
      assert.equal(await out.waitFor(/T=xterm\r\n/), 'T=xterm\r\n');
      sh.resize(40, 132);
      sh.write('stty size\n');
      assert.equal(await out.waitFor(/\b40 132\r\n/), '40 132\r\n');
      const exited = new Promise((r) => sh.onExit(r));
      sh.write('exit 7\n');
      assert.deepEqual(await exited, { code: 7, signal: null });
    });

    it('close() ends the shell and fires onExit', async () => {
      const s = await connect();
      const sh = await s.shell();
      assert.throws(() => sh.resize(0, 10), RangeError);
      const exited = new Promise((r) => sh.onExit(r));
      sh.close();
      await exited;
      // after exit, writes and resizes are ignored instead of throwing
      sh.write('echo late\n');
      sh.resize(30, 100);
      assert.equal((await s.exec('echo alive')).stdout, 'alive\n');
    });
  });

  describe('host keys', () => {
    it('asks about an unknown key with the fingerprint ssh-keygen prints, then stores it', async () => {
      const expected = fingerprintOf(sshd.hostPublicKeyPath);
      const asked: HostKeyInfo[] = [];
      const s = await connect({ confirmUnknown: async (info) => { asked.push(info); return true; } });
      assert.deepEqual(asked, [{ host: sshd.host, port: sshd.port, keyType: 'ssh-ed25519', fingerprint: expected }]);
      assert.equal(s.hostKey.status, 'added');
      assert.equal(s.hostKey.fingerprint, expected);
      const [type, b64] = sshd.hostPublicKey.split(' ');
      assert.equal(readFileSync(khPath, 'utf8'), `[127.0.0.1]:${sshd.port} ${type} ${b64}\n`);
      s.close();
      // second time: known, not asked again
      const s2 = await connect({ confirmUnknown: async () => assert.fail('must not ask for a known key') });
      assert.equal(s2.hostKey.status, 'known');
    });

    it('a declined key refuses the connection and stores nothing', async () => {
      const logBefore = sshd.logs().length;
      let asked = 0;
      await assert.rejects(
        connect({ confirmUnknown: async () => { asked++; return false; } }),
        (e: unknown) => e instanceof HostKeyDeclinedError && e.message.includes(sshd.hostKeyFingerprint),
      );
      assert.equal(asked, 1);
      assert.equal(existsSync(khPath), false);
      await new Promise((r) => setTimeout(r, 200));
      const log = sshd.logs().slice(logBefore);
      assert.match(log, /Connection from 127\.0\.0\.1/, 'sshd saw the connection');
      assert.doesNotMatch(log, /publickey|Accepted key|authenticating user/, 'no authentication after a declined key');
    });

    it('a confirmUnknown that throws refuses the connection', async () => {
      await assert.rejects(connect({ confirmUnknown: async () => { throw new Error('dialog crashed'); } }), /dialog crashed/);
      assert.equal(existsSync(khPath), false);
    });

    it('the time spent in confirmUnknown does not count toward readyTimeoutMs', async () => {
      const s = await connect({
        readyTimeoutMs: 1500,
        confirmUnknown: () => new Promise((r) => setTimeout(() => r(true), 2500)),
      });
      assert.equal(s.hostKey.status, 'added');
    });
  });

  describe('authentication', () => {
    it('a wrong user key fails with an error naming the methods tried', async () => {
      const other = join(work, `id_other_${Date.now()}`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      const logBefore = sshd.logs().length;
      await assert.rejects(connect({ privateKeyPath: other }), (e: unknown) => {
        assert.ok(e instanceof SshAuthError, String(e));
        assert.deepEqual(e.methodsTried, [`publickey (${other})`]);
        assert.ok(e.serverMethods.includes('publickey'), e.serverMethods.join());
        assert.match(e.message, new RegExp(`root@127\\.0\\.0\\.1:${sshd.port}`));
        assert.match(e.message, /publickey/);
        return true;
      });
      // the server really saw (and refused) that key
      assert.ok(sshd.logs().slice(logBefore).includes(`Failed publickey for ${sshd.username} from 127.0.0.1`));
      assert.ok(sshd.logs().slice(logBefore).includes(fingerprintOf(`${other}.pub`)));
    });

    it('with neither key nor agent it says nothing was tried', async () => {
      await assert.rejects(connect({ privateKeyPath: undefined }), (e: unknown) =>
        e instanceof SshAuthError && e.methodsTried.length === 0 && /no key file and no agent/.test(e.message));
    });

    it('a missing key file is reported before connecting', async () => {
      const missing = join(work, 'nope', 'id_ed25519');
      await assert.rejects(connect({ privateKeyPath: missing }), (e: unknown) =>
        e instanceof SshKeyFileError && e.problem === 'missing' && e.message.includes(missing));
    });

    it('a .pub file or junk is not a usable private key', async () => {
      await assert.rejects(connect({ privateKeyPath: `${sshd.privateKeyPath}.pub` }), (e: unknown) =>
        e instanceof SshKeyFileError && e.problem === 'invalid');
      const junk = join(work, 'junk');
      writeFileSync(junk, 'hello');
      await assert.rejects(connect({ privateKeyPath: junk }), (e: unknown) => e instanceof SshKeyFileError && e.problem === 'invalid');
    });

    it('a directory in place of the key file is reported; an unreadable file too (when not root)', async () => {
      await assert.rejects(connect({ privateKeyPath: work }), (e: unknown) =>
        e instanceof SshKeyFileError && e.problem === 'invalid' && e.message.includes(work));
      if (process.getuid?.() !== 0) {
        const f = join(work, 'unreadable');
        writeFileSync(f, readFileSync(sshd.privateKeyPath));
        chmodSync(f, 0o000);
        await assert.rejects(connect({ privateKeyPath: f }), (e: unknown) => e instanceof SshKeyFileError && e.problem === 'unreadable');
      }
    });

    it('an encrypted key needs its passphrase', async () => {
      await assert.rejects(connect({ privateKeyPath: encryptedKey }), (e: unknown) =>
        e instanceof SshKeyFileError && e.problem === 'encrypted' && /passphrase/.test(e.message));
      await assert.rejects(connect({ privateKeyPath: encryptedKey, passphrase: 'wrong' }), (e: unknown) =>
        e instanceof SshKeyFileError && e.problem === 'bad-passphrase');
      const s = await connect({ privateKeyPath: encryptedKey, passphrase: 'correct horse' });
      assert.equal((await s.exec('echo ok')).stdout, 'ok\n');
    });

    it('authenticates through ssh-agent', async function () {
      const sock = join(work, `agent-${Date.now()}.sock`);
      const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
        execFileSync('ssh-add', ['-q', sshd.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        const s = await connect({ privateKeyPath: undefined, agentSocket: sock });
        assert.equal((await s.exec('echo agent')).stdout, 'agent\n');
        // an agent without the right key fails, naming the agent
        execFileSync('ssh-add', ['-q', '-D'], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        await assert.rejects(connect({ privateKeyPath: undefined, agentSocket: sock }), (e: unknown) =>
          e instanceof SshAuthError && e.methodsTried.includes(`agent (${sock})`));
      } finally {
        agent.kill();
      }
    });
  });

  describe('connection failures', () => {
    it('a closed port is refused, naming host:port', async () => {
      const port = await freePort();
      await assert.rejects(connect({ port }), (e: unknown) =>
        e instanceof SshConnectError && e.kind === 'refused' && e.message.includes(`127.0.0.1:${port}`));
    });

    it('a server that never speaks SSH times out, naming host:port', async () => {
      const socks: Socket[] = [];
      const srv: Server = createServer((c) => socks.push(c));
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as { port: number }).port;
      try {
        const started = Date.now();
        await assert.rejects(connect({ port, readyTimeoutMs: 700 }), (e: unknown) =>
          e instanceof SshConnectError && e.kind === 'timeout' && e.message.includes(`127.0.0.1:${port}`));
        assert.ok(Date.now() - started < 5000);
      } finally {
        socks.forEach((s) => s.destroy());
        srv.close();
      }
    });

    it('an already aborted signal rejects without connecting; abort during connect rejects', async () => {
      await assert.rejects(connect({ signal: AbortSignal.abort() }), { name: 'AbortError' });
      const ac = new AbortController();
      const p = connect({ signal: ac.signal, confirmUnknown: () => new Promise(() => {}) });
      setTimeout(() => ac.abort(), 200);
      await assert.rejects(p, { name: 'AbortError' });
      assert.equal(existsSync(khPath), false);
    });

    it('rejects bad input', async () => {
      await assert.rejects(connect({ port: 70000 }), TypeError);
      await assert.rejects(connect({ host: '' }), TypeError);
      await assert.rejects(connect({ username: '' }), TypeError);
    });
  });
});
