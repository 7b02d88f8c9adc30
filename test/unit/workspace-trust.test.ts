// Issue 12 item 4: a cloned repository's settings cannot redirect secrets or keys, and its files do
// not run as code or change clusters in Restricted Mode.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { insideWorkspace, refuseInRestrictedMode, RestrictedModeError } from '../../src/providers/workspace-trust';
import { resolveFlakeSource } from '../../src/providers/nix/files';

interface Setting { scope?: string }
const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
  capabilities?: { untrustedWorkspaces?: { supported: unknown; restrictedConfigurations?: string[] }; virtualWorkspaces?: { supported: unknown } };
  contributes: { configuration: { properties: Record<string, Setting> } | Array<{ properties: Record<string, Setting> }> };
};
const props: Record<string, Setting> = Object.assign({}, ...[pkg.contributes.configuration].flat().map((c) => c.properties));

// Settings that decide where a secret or key goes, or what runs with them.
const STEERING = ['homelab.nix.buildHost', 'homelab.nix.buildHostUser', 'homelab.nix.buildHostNix', 'homelab.nix.uploadFromBuildHost',
  'homelab.nix.sshKeys', 'homelab.nix.nixPath', 'homelab.ssh.privateKeyPath', 'homelab.kubernetes.kubeconfig', 'homelab.proxmox.clusters'];

describe('workspace trust', () => {
  for (const k of STEERING) {
    it(`${k} cannot be set by a workspace (machine or application scope) and is restricted`, () => {
      assert.ok(props[k], `${k} exists`);
      assert.ok(props[k].scope === 'machine' || props[k].scope === 'application', `${k} scope is ${props[k].scope}`);
      assert.ok(pkg.capabilities?.untrustedWorkspaces?.restrictedConfigurations?.includes(k), `${k} in restrictedConfigurations`);
    });
  }

  it('declares limited support for untrusted and virtual workspaces', () => {
    assert.equal(pkg.capabilities?.untrustedWorkspaces?.supported, 'limited');
    assert.equal(pkg.capabilities?.virtualWorkspaces?.supported, 'limited');
  });

  it('an ejected flake in an untrusted workspace is refused with what to do; trusted, or bundled, it is used', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'trust-'));
    try {
      const store = { exists: async (p: string) => { try { readFileSync(p); return true; } catch { return false; } }, read: async (p: string) => readFileSync(p), write: async () => undefined, mkdir: async () => undefined } as never;
      assert.deepEqual(await resolveFlakeSource(store, { bundledDir: '/bundled', workspaceDir: ws, trusted: false }), { dir: '/bundled', ejected: false }, 'nothing ejected: the bundled flake, trusted or not');
      mkdirSync(join(ws, 'homelab', 'nix'), { recursive: true });
      writeFileSync(join(ws, 'homelab', 'nix', 'flake.nix'), '{ }');
      await assert.rejects(resolveFlakeSource(store, { bundledDir: '/bundled', workspaceDir: ws, trusted: false }), (e: unknown) => e instanceof RestrictedModeError && /Restricted Mode/.test(e.message) && /Manage Workspace Trust/.test(e.message));
      assert.equal((await resolveFlakeSource(store, { bundledDir: '/bundled', workspaceDir: ws, trusted: true })).ejected, true);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('workspace manifests are told apart from samples and files elsewhere', () => {
    assert.equal(insideWorkspace('/ws/k8s/app.yaml', ['/ws']), true);
    assert.equal(insideWorkspace('/ws', ['/ws']), true);
    assert.equal(insideWorkspace('/ext/resources/k8s/demo.yaml', ['/ws']), false);
    assert.equal(insideWorkspace('/ws2/x.yaml', ['/ws']), false);
    assert.throws(() => refuseInRestrictedMode('apply-workspace-manifest', false), /Applying Kubernetes manifests from this workspace is not allowed in Restricted Mode/);
    refuseInRestrictedMode('apply-workspace-manifest', true);
  });
});
