import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PARAMS, nixString, renderParamsJson, renderParamsNix, resolveParams, isNixError } from '../../../src/providers/nix';
import { evalNixFile } from './helpers';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm0n0V3mD0cSx7ZyFQbHzj4ttq9l1Hn0i3c6wB9ZkP2 me@laptop';

describe('nix: parameters -> homelab-params.nix', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'nix-params-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('renders settings to a file Nix evaluates to the same values', () => {
    const p = resolveParams({ diskDevice: '/dev/vda', swapSizeGiB: 4, timezone: 'Europe/Berlin', nfsServer: '192.168.1.4', nfsExport: '/volume1/k8s-cluster-storage', extraPackages: ['htop', 'python3Packages.requests'], sshKeys: [KEY] });
    const f = join(dir, 'homelab-params.nix');
    writeFileSync(f, renderParamsNix(p));
    assert.deepEqual(evalNixFile(f), p);
    assert.deepEqual(JSON.parse(renderParamsJson(p)), p);
  });

  it('the defaults match resources/nix/homelab-params.nix', () => {
    assert.deepEqual(evalNixFile(join(__dirname, '../../../resources/nix/homelab-params.nix')), DEFAULT_PARAMS);
  });

  it('NFS is off with both fields empty, and needs both when on', () => {
    assert.equal(resolveParams({}).nfsServer, '');
    assert.throws(() => resolveParams({ nfsServer: 'nas.lan' }), (e: unknown) => isNixError(e, 'invalid-params') && /homelab\.nix\.nfsExport/.test((e as Error).message));
    assert.throws(() => resolveParams({ nfsExport: '/v1' }), /homelab\.nix\.nfsServer/);
  });

  for (const [field, value, re] of [
    ['diskDevice', 'sda', /device path/],
    ['diskDevice', '/dev/../etc/passwd', /device path/],
    ['swapSizeGiB', 0, /between 1 and 256/],
    ['swapSizeGiB', 1.5, /whole number/],
    ['timezone', 'Europe/Berlin; rm -rf', /time zone/],
    ['extraPackages', ['htop', 'pkgs.${evil}'], /not a nixpkgs attribute/],
    ['sshKeys', ['-----BEGIN OPENSSH PRIVATE KEY-----'], /private keys never belong here/],
    ['hostName', 'my_host', /not a host name/],
    ['adminUser', 'root', /not root/],
    ['nfsServer', 'nas lan', /host name or IP/],
  ] as const) {
    it(`refuses ${field} = ${JSON.stringify(value)}`, () => {
      const extra = field === 'nfsServer' ? { nfsExport: '/x' } : {};
      assert.throws(() => resolveParams({ ...extra, [field]: value } as never), (e: unknown) => {
        assert.ok(isNixError(e, 'invalid-params'));
        assert.match((e as Error).message, new RegExp(`homelab\\.nix\\.${field}`));
        assert.match((e as Error).message, re);
        return true;
      });
    });
  }

  it('nixString round-trips any text through Nix (no injection)', () => {
    const f = join(dir, 's.nix');
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' }).map((s) => s.replace(/\0/g, '')), { minLength: 1, maxLength: 8 }), (xs) => {
      writeFileSync(f, `[ ${xs.map(nixString).join(' ')} ]`);
      assert.deepEqual(evalNixFile(f), xs);
    }), { numRuns: 25 });
  });
});
