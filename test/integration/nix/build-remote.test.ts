import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type SshdHandle } from '../../harness/sshd';
import { KnownHosts, connectSsh, type SshSession } from '../../../src/providers/ssh';
import { buildIsoRemotely, isNixError, nixBuildArgs, type BuildPhase } from '../../../src/providers/nix';
import { alive, makeStandIn, waitFor, type StandIn } from './standin';

/** A TCP relay to sshd whose connections the test can cut (a lost network). */
async function relay(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const socks = new Set<Socket>();
  const srv: Server = createServer((c) => {
    const up = connect(port, '127.0.0.1');
    socks.add(c).add(up);
    c.pipe(up).pipe(c);
    const end = () => { c.destroy(); up.destroy(); };
    c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    cut: () => { for (const s of socks) s.destroy(); },
    close: () => new Promise((r) => { for (const s of socks) s.destroy(); srv.close(() => r()); }),
  };
}

describe('nix: remote ISO build over SSH (real OpenSSH sshd, nix stand-in)', function () {
  let sshd: SshdHandle;
  let work: string;
  let s: StandIn;
  const sessions: SshSession[] = [];

  before(async () => {
    sshd = await startSshd();
    work = mkdtempSync(join(tmpdir(), 'nix-remote-'));
  });
  after(async () => {
    for (const x of sessions) x.close();
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => (s = makeStandIn()));
  afterEach(() => s.cleanup());

  async function session(port = sshd.port): Promise<SshSession> {
    const kh = new KnownHosts(join(mkdtempSync(join(work, 'kh-')), 'known_hosts'));
    const x = await connectSsh({ host: '127.0.0.1', port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, agentSocket: false, knownHosts: kh, confirmUnknown: async () => true });
    sessions.push(x);
    return x;
  }

  it('copies the flake, builds there with streamed output, and fetches the ISO back (size + sha256 checked)', async () => {
    const ses = await session();
    const remoteDir = join(s.dir, 'remote');
    const lines: string[] = [];
    const phases: BuildPhase[] = [];
    let fetched = 0;
    s.setSize(5 * 2 ** 20 + 123);
    const fetchTo = join(s.dir, 'local', 'nixos.iso');
    const r = await buildIsoRemotely({
      session: ses, flakeDir: s.flake, remoteDir, nixCommand: s.nix, fetchTo,
      onLine: (l) => lines.push(l), onPhase: (p) => phases.push(p), onFetchProgress: (b) => (fetched = b),
    });
    // The flake arrived (every file, same bytes).
    for (const f of ['flake.nix', 'template.nix', 'auto-install.sh']) {
      assert.equal(readFileSync(join(remoteDir, 'flake', f), 'utf8'), readFileSync(join(s.flake, f), 'utf8'), f);
    }
    const last = s.calls().at(-1)!;
    assert.deepEqual(last, nixBuildArgs(join(remoteDir, 'flake'), join(remoteDir, 'result')));
    assert.ok(lines.some((l) => /^building '/.test(l)), 'build output streamed');
    assert.deepEqual(phases, ['copying', 'evaluating', 'building', 'compressing', 'fetching-iso', 'done']);
    assert.match(r.remoteIsoPath!, /\/iso\/nixos-.*\.iso$/);
    assert.equal(r.isoPath, fetchTo);
    assert.equal(statSync(fetchTo).size, 5 * 2 ** 20 + 123);
    assert.equal(fetched, 5 * 2 ** 20 + 123);
    const h = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    assert.equal(h(fetchTo), h(r.remoteIsoPath!));
  });

  it('without fetchTo only the remote path is returned', async () => {
    const ses = await session();
    const r = await buildIsoRemotely({ session: ses, flakeDir: s.flake, remoteDir: join(s.dir, 'remote'), nixCommand: s.nix });
    assert.equal(r.isoPath, undefined);
    assert.ok(existsSync(r.remoteIsoPath!));
  });

  it('a failing remote build reports exit code and output; a host without nix is named', async () => {
    const ses = await session();
    s.setMode('fail');
    await assert.rejects(buildIsoRemotely({ session: ses, flakeDir: s.flake, remoteDir: join(s.dir, 'remote'), nixCommand: s.nix }), (e: unknown) => {
      assert.ok(isNixError(e, 'build-failed'));
      assert.match((e as Error).message, /on 127\.0\.0\.1 failed \(exit code 1\)/);
      assert.match((e as Error).message, /attribute 'bogus' missing/);
      return true;
    });
    await assert.rejects(buildIsoRemotely({ session: ses, flakeDir: s.flake, remoteDir: join(s.dir, 'remote'), nixCommand: '/nonexistent/nix' }), (e: unknown) => {
      assert.ok(isNixError(e, 'remote'));
      assert.match((e as Error).message, /has no "\/nonexistent\/nix"/);
      return true;
    });
  });

  it('cancel stops the remote build and its children', async () => {
    const ses = await session();
    s.setMode('hang');
    const ac = new AbortController();
    const p = buildIsoRemotely({ session: ses, flakeDir: s.flake, remoteDir: join(s.dir, 'remote'), nixCommand: s.nix, signal: ac.signal });
    await waitFor(() => s.pidOf('child') !== undefined, 15_000, 'the remote build to start');
    const child = s.pidOf('child')!;
    const nix = s.pidOf('nix')!;
    assert.ok(alive(child) && alive(nix));
    ac.abort();
    await assert.rejects(p, (e: unknown) => isNixError(e, 'cancelled') && /on 127\.0\.0\.1/.test((e as Error).message));
    await waitFor(() => !alive(child) && !alive(nix), 8000, 'remote processes to die');
    assert.equal((await ses.exec('echo still')).stdout, 'still\n', 'the session survives a cancel');
  });

  it('a lost connection mid-build is a connection-lost error naming the host and the pid file', async () => {
    const r = await relay(sshd.port);
    try {
      const ses = await session(r.port);
      s.setMode('hang');
      const p = buildIsoRemotely({ session: ses, flakeDir: s.flake, remoteDir: join(s.dir, 'remote'), nixCommand: s.nix });
      await waitFor(() => s.pidOf('child') !== undefined, 15_000, 'the remote build to start');
      r.cut();
      await assert.rejects(p, (e: unknown) => {
        assert.ok(isNixError(e, 'connection-lost'), String(e));
        assert.match((e as Error).message, /connection to 127\.0\.0\.1:\d+ was lost during the build/);
        assert.match((e as Error).message, /\.homelab-build\.pid/);
        return true;
      });
    } finally {
      const child = s.pidOf('child');
      if (child && alive(child)) process.kill(child, 'SIGKILL');
      const nix = s.pidOf('nix');
      if (nix && alive(nix)) process.kill(nix, 'SIGKILL');
      await r.close();
    }
  });
});
