// Proxmox VE simulator: an HTTPS server on 127.0.0.1 that behaves like a PVE 9 cluster for
// integration tests, extension-host tests, `npm run demo` and benchmarks. See NOTES.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Auth } from './auth';
import { makeCert } from './cert';
import { clusterRoutes, resourcesBody } from './cluster';
import type { SimCore } from './core';
import { FaultInjector, type Faults } from './faults';
import { Prng } from './prng';
import { qemuRoutes } from './qemu';
import { Router } from './router';
import { makeHandler, type RequestLogEntry } from './server';
import { ClusterState } from './state';
import { storageRoutes } from './storage';
import { closeSerialSockets, handleUpgrade, serialRoutes } from './serial';
import { TaskManager } from './tasks';
import { lxcRoutes } from './lxc';
import { snapshotRoutes, takeSnapshot } from './snapshots';
import { addBackupVolume, backupRoutes, nextRun } from './backup';
import { seedLab, stepLoad } from './lab';

export type { Guest, NodeState, Volume, StorageDef } from './state';
/** Addresses a guest under its own type's path (qemu or lxc): for tests that serve both. */
export const guestApiPath = (g: { node: string; type: 'qemu' | 'lxc'; vmid: number }) => `/nodes/${g.node}/${g.type}/${g.vmid}`;
export type { Task } from './tasks';
export { guestSerial, isDiskInstalled, inspectIso, AUTOINSTALL_VOLUME_ID } from './autoinstall';
export { ClusterState, takeSnapshot, addBackupVolume, nextRun };
export type { Snapshot, BackupJob, GuestType } from './state';

export interface SimulatorOptions {
  port?: number /* 0 = ephemeral */;
  nodes?: number /* default 3 */;
  guests?: number /* default 10 */;
  seed?: number;
  taskDurationMs?: number /* default 2000 */;
  authFailDelayMs?: number /* default 3000 */;
  agentBootDelayMs?: number /* default 5000 */;
  lockTimeoutMs?: number /* default 10000, qemu-server's config lock timeout */;
  ticketLifetimeMs?: number /* default 2 h */;
  installDurationMs?: number /* default 20000: an auto-installer ISO's install time */;
  /** The demo lab: containers, snapshots, backups, backup jobs, tag colours, a NixOS template, load that wanders (lab.ts). */
  lab?: boolean;
}

export interface Simulator {
  url: string /* https://127.0.0.1:PORT */;
  fingerprint: string /* uppercase colon SHA-256 */;
  certPem: string;
  tokenId: string /* root@pam!homelab */;
  tokenSecret: string /* uuid */;
  auditTokenId: string;
  auditTokenSecret: string;
  user: string /* root@pam */;
  password: string;
  requestCount: number /* total HTTP requests served */;
  requestLog: RequestLogEntry[] /* bounded: the last 1000 */;
  setNodeOnline(node: string, online: boolean): void;
  setFaults(f: Faults): void;
  /** Changes the install time of auto-installs started from now on (tests that must act during an install). */
  setInstallDurationMs(ms: number): void;
  /** Cuts every open console WebSocket without a close frame, as a network drop would (the client sees 1006). */
  dropConsoles(): void;
  /** Direct access for assertions and test knobs (e.g. `state.guests.get(100)!.ignoreShutdown = true`). */
  state: ClusterState;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const seed = opts.seed ?? 1;
  const cert = await makeCert();
  // Separate streams so adding a fault or a task does not change the generated cluster.
  const state = new ClusterState(new Prng(seed), opts.nodes ?? 3, opts.guests ?? 10);
  const dataDir = await mkdtemp(join(tmpdir(), 'pve-sim-data-'));
  const core: SimCore = {
    opts: {
      taskDurationMs: opts.taskDurationMs ?? 2000,
      authFailDelayMs: opts.authFailDelayMs ?? 3000,
      agentBootDelayMs: opts.agentBootDelayMs ?? 5000,
      lockTimeoutMs: opts.lockTimeoutMs ?? 10000,
      installDurationMs: opts.installDurationMs ?? 20000,
    },
    state,
    tasks: new TaskManager(state.tasks, new Prng(seed + 0x51ed)),
    auth: new Auth(opts.ticketLifetimeMs ?? 2 * 3600 * 1000),
    faults: new FaultInjector(new Prng(seed + 0xfa17)),
    rng: new Prng(seed + 0x7),
    fingerprint: cert.fingerprint,
    dataDir,
  };
  const router = new Router();
  router.add([...clusterRoutes, ...qemuRoutes, ...storageRoutes, ...serialRoutes, ...lxcRoutes, ...snapshotRoutes, ...backupRoutes]);
  if (opts.lab) seedLab(core);

  const sim = {
    url: '',
    fingerprint: cert.fingerprint,
    certPem: cert.certPem,
    tokenId: core.auth.tokenId,
    tokenSecret: core.auth.tokenSecret,
    auditTokenId: core.auth.auditTokenId,
    auditTokenSecret: core.auth.auditTokenSecret,
    user: core.auth.user,
    password: core.auth.password,
    requestCount: 0,
    requestLog: [] as RequestLogEntry[],
    state,
    setNodeOnline(node: string, online: boolean) {
      const n = state.nodes.get(node);
      if (!n) throw new Error(`no such node '${node}'`);
      n.online = online;
      state.touch();
    },
    setFaults(f: Faults) {
      core.faults.set(f);
    },
    setInstallDurationMs(ms: number) {
      core.opts.installDurationMs = ms;
    },
    dropConsoles() {
      closeSerialSockets(core);
    },
    close: async () => {},
  } satisfies Simulator;

  const server: Server = createServer(
    // No request timeout: ISO uploads of several GB take longer than Node's 5-minute default.
    { key: cert.keyPem, cert: cert.certPem, requestTimeout: 0 },
    makeHandler(core, router, sim),
  );
  server.on('upgrade', (req, socket) => handleUpgrade(core, req, socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  sim.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let labTimer: NodeJS.Timeout | undefined;
  if (opts.lab) {
    const labRng = new Prng(seed + 0x1ab);
    stepLoad(state, labRng);
    labTimer = setInterval(() => stepLoad(state, labRng), 2000);
    labTimer.unref();
  }
  // Warm the guest-size memo and JIT for big clusters so the first /cluster/resources is fast too.
  resourcesBody(core, 'vm');
  let closed: Promise<void> | undefined;
  sim.close = () =>
    (closed ??= (async () => {
      clearInterval(labTimer);
      core.tasks.stopAll();
      closeSerialSockets(core);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(dataDir, { recursive: true, force: true });
    })());
  return sim;
}
