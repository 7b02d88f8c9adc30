// The K3s bootstrap of a deployed cluster, node by node over SSH:
//   connect -> detect (NixOS layout, existing K3s, sudo) -> token (0600, via stdin) -> module
//   (k3s.nix, k3s-flags.nix, k3s-node.nix via SFTP) -> import -> rebuild (nixos-rebuild switch)
//   -> k3s (servers: wait until K3s wrote its kubeconfig).
// Control planes rebuild one at a time (each joins the one before: etcd quorum); workers rebuild
// once the first control plane is up, up to `parallelism` at once. Everything before the rebuild
// runs for all nodes at once. A failed, blocked or cancelled node gets its token file removed.
// And Uninstall: workers first, then control planes from the last: import out, module out, rebuild,
// token out. K3s' data (/var/lib/rancher/k3s) stays: Homelab never wipes it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { K3sError } from './errors';
import { Adopted, NodeEngine, type EngineOptions, type NodeProgress } from './engine';
import { DEFAULT_TOKEN_FILE, K3S_FLAGS_FILE, K3S_MODULE_FILE, NODE_MODULE_FILE, k3sNodeModule } from './nix-module';
import { NodeOps, sshNodeShell } from './node';
import { rewriteK3sKubeconfig } from './kubeconfig';
import type { K3sPlan } from './plan';

export const BOOTSTRAP_STEPS = ['connect', 'detect', 'token', 'module', 'import', 'rebuild', 'k3s'] as const;
export type BootstrapStep = (typeof BOOTSTRAP_STEPS)[number];
export const UNINSTALL_STEPS = ['connect', 'detect', 'import', 'module', 'rebuild', 'token'] as const;
export type UninstallStep = (typeof UNINSTALL_STEPS)[number];

/** A new cluster token: 32 random bytes, hex. The caller keeps it in SecretStorage. */
export function newClusterToken(): string {
  return randomBytes(32).toString('hex');
}

/** Tokens Homelab writes: no whitespace or quotes, so nothing can split or escape them. */
export function checkToken(token: string): string | undefined {
  return /^[A-Za-z0-9._~+/=:-]{32,256}$/.test(token) ? undefined : 'The cluster token must be 32 to 256 characters without spaces or quotes (Homelab makes 64 hex digits).';
}

/** The module files the template flake carries, as the bootstrap uploads them. */
export interface K3sModuleFiles {
  'k3s.nix': string;
  'k3s-flags.nix': string;
}

/** Reads k3s.nix and k3s-flags.nix from a resources/nix directory (the extension's or an ejected copy). */
export function readK3sModuleFiles(dir: string): K3sModuleFiles {
  return { 'k3s.nix': readFileSync(join(dir, K3S_MODULE_FILE), 'utf8'), 'k3s-flags.nix': readFileSync(join(dir, K3S_FLAGS_FILE), 'utf8') };
}

export interface BootstrapOptions extends EngineOptions<BootstrapStep> {
  /** The cluster token; written only to the nodes' token files. */
  token: string;
  moduleFiles: K3sModuleFiles;
  /** A node that already runs K3s Homelab did not set up: adopt it (change nothing) instead of failing. */
  adoptExisting?: boolean;
}

const ordered = (plan: K3sPlan) => plan.nodes;

export class K3sBootstrap extends NodeEngine<BootstrapStep> {
  private readonly cps: string[];

  constructor(plan: K3sPlan, private readonly o: BootstrapOptions) {
    super(plan, o, BOOTSTRAP_STEPS, ordered(plan));
    const bad = checkToken(o.token);
    if (bad) throw new K3sError('remote', bad);
    this.cps = plan.nodes.filter((n) => n.role === 'control-plane').map((n) => n.name);
  }

  protected dependencies(p: NodeProgress<BootstrapStep>, step: BootstrapStep): string[] {
    if (step !== 'rebuild') return [];
    const i = this.cps.indexOf(p.node.name);
    if (i > 0) return [this.cps[i - 1]];
    if (i < 0) return [this.cps[0]];
    return [];
  }

  protected limited(p: NodeProgress<BootstrapStep>): boolean {
    return p.node.role === 'worker';
  }

  protected stepsFrom(p: NodeProgress<BootstrapStep>, from: number): BootstrapStep[] {
    const rest = BOOTSTRAP_STEPS.slice(Math.max(1, from));
    // detect again when resuming: the layout is needed and the node may have changed meanwhile
    const again: BootstrapStep[] = from > 1 ? ['detect'] : [];
    if (p.tokenRemoved && from > BOOTSTRAP_STEPS.indexOf('token')) again.push('token');
    return ['connect', ...again, ...rest];
  }

  protected async runStep(p: NodeProgress<BootstrapStep>, step: BootstrapStep, ops: NodeOps, signal: AbortSignal): Promise<void> {
    const node = p.node;
    switch (step) {
      case 'detect': {
        const layout = await ops.detect(signal);
        this.update(p, { layout });
        if (layout.existingK3s && !layout.managed) {
          if (this.o.adoptExisting) throw new Adopted('K3s already runs here (not set up by Homelab): adopted, nothing changed');
          throw new K3sError('existing-k3s', `K3s already runs on ${node.name} (${node.address}) and Homelab did not set it up. Homelab never wipes it: adopt it (fetch its kubeconfig) or uninstall it yourself first.`);
        }
        await ops.checkSudo(signal);
        return;
      }
      case 'token':
        await ops.writeToken(this.o.token, signal);
        this.update(p, { tokenRemoved: false });
        return;
      case 'module': {
        const layout = p.layout!;
        await ops.installFiles(layout.moduleDir, [
          { name: K3S_MODULE_FILE, text: this.o.moduleFiles['k3s.nix'] },
          { name: K3S_FLAGS_FILE, text: this.o.moduleFiles['k3s-flags.nix'] },
          { name: NODE_MODULE_FILE, text: k3sNodeModule(this.plan, node, { tokenFile: this.o.tokenFile ?? DEFAULT_TOKEN_FILE }) },
        ], signal);
        return;
      }
      case 'import':
        await ops.setImport(p.layout!, true, signal);
        return;
      case 'rebuild':
        await ops.rebuild(p.layout!, signal, (line) => this.o.onLog?.(node.name, line));
        return;
      case 'k3s':
        if (node.k3sRole === 'server') await ops.waitForServer(signal);
        return;
      case 'connect':
        return;
    }
  }

  protected override async cleanup(p: NodeProgress<BootstrapStep>, ops: NodeOps | undefined): Promise<void> {
    const written = BOOTSTRAP_STEPS.indexOf(p.step) >= BOOTSTRAP_STEPS.indexOf('token');
    if (!ops || !written || p.tokenRemoved) return;
    await ops.removeToken();
    p.tokenRemoved = true;
  }
}

export type UninstallOptions = EngineOptions<UninstallStep>;

export class K3sUninstall extends NodeEngine<UninstallStep> {
  private readonly order: string[];

  constructor(plan: K3sPlan, o: UninstallOptions) {
    const workers = plan.nodes.filter((n) => n.role === 'worker');
    const cps = plan.nodes.filter((n) => n.role === 'control-plane').reverse();
    super(plan, o, UNINSTALL_STEPS, [...workers, ...cps]);
    this.order = cps.map((n) => n.name);
  }

  /** Control planes leave after every worker, the last one first, one at a time. */
  protected dependencies(p: NodeProgress<UninstallStep>, step: UninstallStep): string[] {
    if (step !== 'rebuild' || p.node.role !== 'control-plane') return [];
    const i = this.order.indexOf(p.node.name);
    return i > 0 ? [this.order[i - 1]] : this.plan.nodes.filter((n) => n.role === 'worker').map((n) => n.name);
  }

  protected limited(p: NodeProgress<UninstallStep>): boolean {
    return p.node.role === 'worker';
  }

  protected stepsFrom(_p: NodeProgress<UninstallStep>, from: number): UninstallStep[] {
    return ['connect', ...(from > 1 ? (['detect'] as UninstallStep[]) : []), ...UNINSTALL_STEPS.slice(Math.max(1, from))];
  }

  protected async runStep(p: NodeProgress<UninstallStep>, step: UninstallStep, ops: NodeOps, signal: AbortSignal): Promise<void> {
    switch (step) {
      case 'detect': {
        const layout = await ops.detect(signal);
        this.update(p, { layout });
        if (!layout.managed && layout.existingK3s) {
          throw new K3sError('existing-k3s', `K3s on ${p.node.name} was not set up by Homelab (no Homelab import in ${layout.entryFile}): Homelab leaves it alone.`);
        }
        await ops.checkSudo(signal);
        return;
      }
      case 'import':
        await ops.setImport(p.layout!, false, signal);
        return;
      case 'module':
        await ops.removeModuleFiles(p.layout!, signal);
        return;
      case 'rebuild':
        await ops.rebuild(p.layout!, signal, (line) => this.options.onLog?.(p.node.name, line));
        return;
      case 'token':
        await ops.removeToken(signal);
        return;
      case 'connect':
        return;
    }
  }
}

export interface FetchKubeconfigOptions {
  connect: EngineOptions['connect'];
  root?: EngineOptions['root'];
  sudo?: boolean;
  tokenFile?: string;
  /** The server to read from; default the first control plane. */
  from?: string;
  signal: AbortSignal;
}

/**
 * Reads k3s.yaml from the first control plane (sudo over SSH) and returns Homelab's kubeconfig:
 * server = the plan's API address, everything named homelab-<cluster>.
 */
export async function fetchClusterKubeconfig(plan: K3sPlan, o: FetchKubeconfigOptions): Promise<string> {
  const node = plan.nodes.find((n) => (o.from ? n.name === o.from : n.role === 'control-plane'));
  if (!node || node.k3sRole !== 'server') throw new K3sError('kubeconfig', `${o.from ?? 'The cluster'} has no control plane to read the kubeconfig from.`);
  const session = await o.connect(node, o.signal);
  const label = `${node.name} (${node.address})`;
  const ops = new NodeOps(sshNodeShell(session), label, { root: o.root?.(node), sudo: o.sudo, tokenFile: o.tokenFile ?? DEFAULT_TOKEN_FILE });
  try {
    const text = await ops.readKubeconfig(o.signal);
    return rewriteK3sKubeconfig(text, plan.contextName, plan.apiUrl, `${label}:/etc/rancher/k3s/k3s.yaml`);
  } finally {
    ops.shell.close();
  }
}
