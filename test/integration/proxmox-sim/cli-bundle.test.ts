import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import type { Simulator } from '../../proxmox-sim/index';
import { call } from './helpers';

const ROOT = resolve(__dirname, '../../..');

describe('proxmox-sim: CLI and esbuild bundle', () => {
  it('prints one JSON line, serves, and exits 0 on SIGTERM', async function () {
    this.timeout(30000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/proxmox-sim/cli.ts', '--port', '0', '--nodes', '2', '--guests', '7', '--seed', '1', '--task-ms', '100', '--auth-delay-ms', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((res, rej) => {
        createInterface({ input: child.stdout! }).once('line', res);
        child.once('exit', (c) => rej(new Error(`exited ${c}`)));
      });
      const info = JSON.parse(line);
      assert.deepEqual(Object.keys(info).sort(), ['auditTokenId', 'auditTokenSecret', 'fingerprint', 'password', 'tokenId', 'tokenSecret', 'url', 'user'].sort());
      // The CLI does not print the certificate: pin by fingerprint, as clients do.
      const { request } = await import('node:https');
      const fp = await new Promise<string>((res, rej) => {
        const req = request(`${info.url}/api2/json/version`, { rejectUnauthorized: false, agent: false, headers: { Authorization: `PVEAPIToken=${info.tokenId}=${info.tokenSecret}` } }, (r) => {
          const cert = (r.socket as import('node:tls').TLSSocket).getPeerCertificate();
          r.resume();
          res(cert.fingerprint256);
        });
        req.on('error', rej);
        req.end();
      });
      assert.equal(fp, info.fingerprint);
      const code = await new Promise<number | null>((res) => {
        child.once('exit', (c) => res(c));
        child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses bad arguments with a usage message and exit code 2', async function () {
    this.timeout(30000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/proxmox-sim/cli.ts', '--nodes', 'three'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((res) => child.once('exit', res));
    assert.equal(code, 2);
    assert.match(err, /usage/);
  });

  it('bundles with esbuild (schema imported as JSON) and the bundle serves', async function () {
    this.timeout(30000);
    const dir = await mkdtemp(join(tmpdir(), 'pve-sim-bundle-'));
    try {
      const out = join(dir, 'sim.js');
      await build({ entryPoints: [join(ROOT, 'test/proxmox-sim/index.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out, logLevel: 'silent' });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(out) as typeof import('../../proxmox-sim/index');
      const sim: Simulator = await mod.startSimulator({ guests: 3, authFailDelayMs: 0 });
      try {
        const r = await call(sim, 'POST', `/nodes/pve1/qemu/100/clone`, { form: { bogus: 1 } });
        assert.equal(r.status, 400, 'schema validation works inside the bundle');
        assert.match(r.json.errors.bogus, /not defined in schema/);
      } finally {
        await sim.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
