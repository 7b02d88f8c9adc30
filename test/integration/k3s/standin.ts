// Stand-in K3s nodes for the bootstrap tests and bench: one REAL OpenSSH sshd per node, each on
// its own loopback address (127.0.0.1, 127.0.0.2, ...), with the stand-in sudo, nixos-rebuild and
// a command recorder (test/fixtures/k3s-standin) on its PATH, and its own file-system root (a
// NixOS layout: /etc/os-release, /etc/nixos/homelab = the template's flake). "K3s" registers the
// nodes in one Kubernetes API test server.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSshd, type SshdHandle } from '../../harness/sshd';
import { startK8sServer, type K8sTestServer } from '../../k8s-server';
import { KnownHosts, connectSsh, hostPattern, type SshSession } from '../../../src/providers/ssh';
import type { K3sNodeInput, PlannedK3sNode } from '../../../src/providers/k3s';

/** The repository root, found upward from here (this module also runs bundled, from out/exthost). */
function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'resources/nix/k3s.nix')) && existsSync(join(dir, 'test/fixtures/k3s-standin'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error(`repository root not found above ${__dirname}`);
}
export const RES_NIX = join(repoRoot(), 'resources/nix');
const FIXTURE = join(repoRoot(), 'test/fixtures/k3s-standin');

export interface Slot {
  index: number;
  address: string;
  port: number;
  root: string;
  sshd: SshdHandle;
}

export type RootLayout = 'flake' | 'configuration' | 'debian' | 'no-config';

export interface K3sLab {
  slots: Slot[];
  state: string;
  k8s: K8sTestServer;
  knownHostsPath: string;
  /** The private key every stand-in node authorizes. */
  userKeyPath: string;
  /** Node inputs for a plan: control planes on the given slots first, then workers. */
  nodes(cps: number, workers: number, firstSlot?: number): K3sNodeInput[];
  connect(node: PlannedK3sNode, signal: AbortSignal): Promise<SshSession>;
  root(node: PlannedK3sNode): string;
  slotOf(address: string): Slot;
  /** Fresh roots, empty state and no nodes in the API server. */
  reset(layouts?: Record<number, RootLayout>): void;
  /** Lines of the recorded logs (commands sent over SSH, sudo arguments, nixos-rebuild calls). */
  commands(): string[];
  sudoCalls(): string[];
  rebuilds(): Array<{ node: string; args: string[] }>;
  setRebuildDelay(ms: number): void;
  /** Waits until no stand-in nixos-rebuild of this lab runs (one the client gave up on keeps going). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export const GENERATED_CONFIGURATION = `# Edit this configuration file to define what should be installed on
# your system.
{ config, lib, pkgs, ... }:

{
  imports =
    [ # Include the results of the hardware scan.
      ./hardware-configuration.nix
    ];

  networking.hostName = "nixos";
  system.stateVersion = "25.05";
}
`;

function prepareRoot(root: string, layout: RootLayout): void {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'etc/nixos'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), layout === 'debian'
    ? 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n'
    : 'ANSI_COLOR="1;34"\nBUILD_ID="25.05.20250601.abcdef"\nID=nixos\nNAME=NixOS\nPRETTY_NAME="NixOS 25.05 (Warbler)"\nVERSION_ID="25.05"\n');
  if (layout === 'no-config') return;
  writeFileSync(join(root, 'etc/nixos/configuration.nix'), GENERATED_CONFIGURATION, { mode: 0o644 });
  writeFileSync(join(root, 'etc/nixos/hardware-configuration.nix'), '{ ... }: { }\n', { mode: 0o644 });
  if (layout === 'flake') cpSync(RES_NIX, join(root, 'etc/nixos/homelab'), { recursive: true });
}

export async function startK3sLab(count = 9): Promise<K3sLab> {
  const work = mkdtempSync(join(tmpdir(), 'k3s-lab-'));
  const bin = join(work, 'bin');
  const state = join(work, 'state');
  cpSync(FIXTURE, bin, { recursive: true });
  for (const f of ['sudo', 'nixos-rebuild', 'record-command']) chmodSync(join(bin, f), 0o755);
  mkdirSync(state);
  // one user key authorized on every node
  const userKey = join(work, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'homelab-k3s-test', '-f', userKey]);
  const userPublicKey = readFileSync(`${userKey}.pub`, 'utf8');
  const k8s = await startK8sServer({ podReadyDelayMs: 150 });
  const slots: Slot[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const address = `127.0.0.${i + 1}`;
      const root = join(work, `node-${i}`, 'root');
      prepareRoot(root, 'flake');
      const sshd = await startSshd({
        listenAddress: address,
        userPublicKey,
        env: { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOMELAB_NODE_ROOT: root, HOMELAB_NODE_NAME: `slot-${i}`, STANDIN_STATE: state },
        extraConfig: [
          'Subsystem sftp /usr/lib/openssh/sftp-server',
          `ForceCommand ${bin}/record-command`,
        ],
      });
      slots.push({ index: i, address, port: sshd.port, root, sshd });
    }
  } catch (e) {
    for (const s of slots) await s.sshd.stop();
    await k8s.close();
    throw e;
  }
  const knownHostsPath = join(work, 'known_hosts');
  writeFileSync(knownHostsPath, slots.map((s) => `${hostPattern(s.address, s.port)} ${s.sshd.hostPublicKey}`).join('\n') + '\n');
  const knownHosts = new KnownHosts(knownHostsPath);
  const writeK8s = () => writeFileSync(join(state, 'k8s.json'), JSON.stringify({ url: k8s.url, caPem: k8s.caPem, clientCertPem: k8s.clientCertPem, clientKeyPem: k8s.clientKeyPem }));
  writeK8s();
  const lines = (f: string) => (existsSync(join(state, f)) ? readFileSync(join(state, f), 'utf8').split('\n').filter(Boolean) : []);
  const slotOf = (address: string) => {
    const s = slots.find((x) => x.address === address);
    if (!s) throw new Error(`no stand-in node at ${address}`);
    return s;
  };

  return {
    slots, state, k8s, knownHostsPath, userKeyPath: userKey,
    nodes(cps, workers, firstSlot = 0) {
      const pick = (i: number) => slots[firstSlot + i];
      return [
        ...Array.from({ length: cps }, (_, i) => ({ name: `lab-cp-${i + 1}`, role: 'control-plane' as const, address: pick(i).address, sshPort: pick(i).port })),
        ...Array.from({ length: workers }, (_, i) => ({ name: `lab-worker-${i + 1}`, role: 'worker' as const, address: pick(cps + i).address, sshPort: pick(cps + i).port })),
      ];
    },
    async connect(node, signal) {
      return connectSsh({
        host: node.address, port: node.sshPort, username: slots[0].sshd.username, privateKeyPath: userKey,
        agentSocket: false, knownHosts, confirmUnknown: async () => false, readyTimeoutMs: 10_000, signal,
      });
    },
    root: (node) => slotOf(node.address).root,
    slotOf,
    reset(layouts = {}) {
      for (const s of slots) prepareRoot(s.root, layouts[s.index] ?? 'flake');
      rmSync(state, { recursive: true, force: true });
      mkdirSync(state);
      writeFileSync(join(state, 'epoch'), String(Math.random()));
      writeK8s();
      for (const n of k8s.store.list('nodes')) k8s.store.delete('nodes', undefined, n.metadata.name);
    },
    commands: () => lines('commands.log'),
    sudoCalls: () => lines('sudo.log'),
    rebuilds: () => lines('rebuild.log').map((l) => JSON.parse(l)),
    setRebuildDelay: (ms) => writeFileSync(join(state, 'rebuild-ms'), String(ms)),
    async settle() {
      const running = () => { try { execFileSync('pgrep', ['-f', join(bin, 'nixos-rebuild')]); return true; } catch { return false; } };
      for (let i = 0; i < 300 && running(); i++) await new Promise((r) => setTimeout(r, 100));
    },
    async close() {
      for (const s of slots) await s.sshd.stop();
      await k8s.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
