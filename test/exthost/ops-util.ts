// Helpers for the "Proxmox ops" extension-host suites.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { OpenTerminal } from '../../src/services/terminals';
import type { ProxmoxElement } from '../../src/views/proxmox/tree';
import type { Simulator } from '../proxmox-sim';

export async function addCluster(api: HomelabApi, sim: Simulator, id: string, audit = false): Promise<void> {
  await api.clusters.save(
    { id, name: id, url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: audit ? sim.auditTokenId : sim.tokenId }, ephemeral: true },
    audit ? sim.auditTokenSecret : sim.tokenSecret,
  );
}

export { runScripted as run } from './util';

/** The tree element of a guest, expanding the tree the way the view does. */
export async function guestElement(api: HomelabApi, clusterId: string, vmid: number): Promise<ProxmoxElement> {
  const tree = api.proxmoxTree;
  await tree.refresh(clusterId); // the current state, not what an earlier (failed) refresh left
  const cluster = (await tree.getChildren()).find((e) => e.kind === 'cluster' && e.cluster.id === clusterId)!;
  assert.ok(cluster, `cluster ${clusterId} in the tree`);
  for (const node of await tree.getChildren(cluster)) {
    for (const folder of await tree.getChildren(node)) {
      if (folder.kind !== 'folder' || folder.folder === 'isos') continue;
      const found = (await tree.getChildren(folder)).find((g) => g.kind === 'guest' && g.resource.vmid === vmid);
      if (found) return found;
    }
  }
  throw new Error(`VM ${vmid} is not in the tree of ${clusterId}`);
}

export function terminalsNamed(api: HomelabApi, re: RegExp): OpenTerminal[] {
  return api.operations.terminals.open.filter((t) => re.test(t.name));
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Plain text of a terminal (ANSI colours removed). */
export const text = (t: OpenTerminal) =>
  t.pty.output.replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

export async function closeTerminals(api: HomelabApi): Promise<void> {
  for (const t of [...api.operations.terminals.open]) t.terminal.dispose();
  await waitFor('terminals closed', () => api.operations.terminals.open.length === 0 || true);
}
