// Loaded by bench/proxmox-tree.ts as extensionTestsPath: the real tree provider against the
// simulator with 3 nodes and 1,000 / 10,000 / 50,000 guests.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as vscode from 'vscode';
import type { ProxmoxElement } from '../../src/views/proxmox/tree';
import { startSimulator } from '../proxmox-sim';
import { activateHomelab } from './util';

// The extension host has no --expose-gc; this is the documented way to get a gc() for measuring.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

export async function run(): Promise<void> {
  const api = await activateHomelab();
  const tree = api.proxmoxTree;
  const sizes = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
  const results = [];
  for (const guests of sizes) {
    const sim = await startSimulator({ nodes: 3, guests, seed: 1 });
    const heapBefore = heap();
    try {
      await api.clusters.save({ id: 'bench', name: 'bench', url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId }, ephemeral: true }, sim.tokenSecret);
      // First load (connection set up), then measure a refresh with every VM item built.
      const walk = async (): Promise<number> => {
        let items = 0;
        const visit = async (e?: ProxmoxElement): Promise<void> => {
          for (const child of await tree.getChildren(e)) {
            if (child.kind === 'guest') {
              tree.getTreeItem(child);
              items++;
            } else if (child.kind !== 'folder' || child.folder !== 'isos') {
              await visit(child);
            }
          }
        };
        await visit();
        return items;
      };
      await walk();
      const requestsBefore = sim.requestCount;
      const t0 = performance.now();
      await tree.refresh('bench');
      const items = await walk();
      const ms = performance.now() - t0;
      const requests = sim.requestCount - requestsBefore;
      // What the tree retains for this inventory (after a GC), the simulator's own state excluded.
      const heapGrowthMB = (heap() - heapBefore) / 2 ** 20;
      results.push({ guests, items, requestsPerRefresh: requests, refreshToItemsMs: +ms.toFixed(1), heapGrowthMB: +heapGrowthMB.toFixed(1), heapPerGuestKB: +((heapGrowthMB * 1024) / guests).toFixed(2) });
      await api.clusters.remove('bench');
    } finally {
      await sim.close();
    }
  }
  if (process.env.HOMELAB_TEST_RESULTS) writeFileSync(process.env.HOMELAB_TEST_RESULTS, JSON.stringify({ passed: 1, failed: 0, pending: 0, failures: [], result: results }));
  void vscode;
}
