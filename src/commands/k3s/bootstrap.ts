// "Bootstrap Kubernetes (K3s)" on a deployed cluster: a short wizard (channel, add-ons, CIDRs, API
// address, where the kubeconfig goes) with a summary, then one terminal with the per-node status
// table (the cluster deploy's terminal) while each NixOS node gets the K3s module and rebuilds;
// then the kubeconfig is fetched, stored and added to the Kubernetes tree, and every node is
// waited for until Ready (a watch). Failed nodes are retried from their failed step.
import * as vscode from 'vscode';
import type { BootstrapOptions, K3sBootstrap } from '../../providers/k3s/bootstrap';
import type { K3sSection } from '../../providers/k3s/cluster-file';
import type { NodeProgress, Outcome } from '../../providers/k3s/engine';
import type { K3sPlan } from '../../providers/k3s/plan';
import { CancelledError, isCancellation } from '../../providers/cancellation';
import { settings } from '../../services/settings';
import { DeployTerminal } from '../../views/terminals/deploy-terminal';
import { reportActivity } from '../proxmox/operation';
import type { CommandRegistry } from '../registry';
import { runWizard, type SummaryLine } from '../wizard';
import { storeKubeconfig, userKubeconfig, type KubeconfigStorage } from './kubeconfig';
import { clusterToken, nodeConnector, resolveK3sTarget, writeClusterFile, type K3sDeps, type K3sTarget } from './target';

interface Answers {
  channel: string;
  keep: string[];
  clusterCidr: string;
  serviceCidr: string;
  api: 'first-control-plane' | 'vip';
  vip?: string;
  storage: KubeconfigStorage;
  plan?: K3sPlan;
}

export interface BootstrapResult {
  status: 'ready' | 'failed' | 'cancelled';
  context: string;
  kubeconfig?: string;
  version?: string;
  progress: NodeProgress[];
}

const ADDON_LABEL: Record<string, string> = { traefik: 'Traefik', servicelb: 'ServiceLB', 'local-storage': 'local-path' };

async function wizard(deps: K3sDeps, t: K3sTarget): Promise<Answers> {
  const k3s = await import('../../providers/k3s/plan');
  const { nodeInputs } = await import('../../providers/k3s/cluster-file');
  const prompts = deps.prompts;
  const title = (s: string) => `${vscode.l10n.t('Bootstrap K3s on {0}', t.name)}: ${s}`;
  const prev = t.file.k3s;
  const s: Answers = {
    channel: prev?.channel && k3s.isK3sChannel(prev.channel) ? prev.channel : '1.31',
    keep: prev?.keep ?? [...k3s.K3S_ADDONS],
    clusterCidr: prev?.clusterCidr || k3s.DEFAULT_CLUSTER_CIDR,
    serviceCidr: prev?.serviceCidr || k3s.DEFAULT_SERVICE_CIDR,
    api: prev?.vip ? 'vip' : 'first-control-plane',
    vip: prev?.vip,
    storage: prev?.storage ?? 'extension',
  };
  const nodes = nodeInputs(t.file);
  const firstCp = nodes.find((n) => n.role === 'control-plane');
  const net = (what: string) => (x: string) => { const r = k3s.parseNetwork(x.trim(), what); return typeof r === 'string' ? r : undefined; };
  await runWizard(s, [
    async (st, at) => {
      const [p] = await prompts.pickStep([...k3s.K3S_CHANNELS].reverse().map((c) => ({ label: c, id: c, description: c === st.channel ? vscode.l10n.t('current choice') : '', detail: vscode.l10n.t('K3s v{0}.x: the patch level is the one of the nodes\' pinned nixpkgs (flake.lock)', c) })), { title: title(vscode.l10n.t('K3s version')) }, at);
      st.channel = p.id;
    },
    async (st, at) => {
      const items = k3s.K3S_ADDONS.map((a) => ({ label: ADDON_LABEL[a], id: a, description: a }));
      const chosen = await prompts.pickStep(items, { title: title(vscode.l10n.t('Bundled add-ons to keep')), canPickMany: true, selected: items.filter((i) => st.keep.includes(i.id)) }, at);
      st.keep = chosen.map((c) => c.id);
    },
    async (st, at) => {
      st.clusterCidr = (await prompts.inputStep({ title: title(vscode.l10n.t('Cluster (pod) CIDR')), value: st.clusterCidr, validateInput: net('Cluster CIDR') }, at)).trim();
    },
    async (st, at) => {
      st.serviceCidr = (await prompts.inputStep({ title: title(vscode.l10n.t('Service CIDR')), value: st.serviceCidr, validateInput: net('Service CIDR') }, at)).trim();
    },
    async (st, at) => {
      const [p] = await prompts.pickStep([
        { label: vscode.l10n.t('First control plane'), id: 'first-control-plane', description: firstCp ? `${firstCp.name} · ${firstCp.address}` : '' },
        { label: vscode.l10n.t('Virtual IP…'), id: 'vip', description: vscode.l10n.t('A free address every control plane answers on (e.g. kube-vip)') },
      ], { title: title(vscode.l10n.t('API address')) }, at);
      st.api = p.id as Answers['api'];
      if (st.api === 'vip') {
        const { isIpv4 } = await import('../../providers/proxmox/cloud-init');
        st.vip = (await prompts.inputStep({ title: title(vscode.l10n.t('Virtual IP of the API')), value: st.vip ?? '', validateInput: (x) => (isIpv4(x.trim()) ? undefined : vscode.l10n.t('Enter an IPv4 address.')) }, at)).trim();
      }
    },
    async (st, at) => {
      const [p] = await prompts.pickStep([
        { label: vscode.l10n.t('Homelab\'s own file (recommended)'), id: 'extension', description: vscode.l10n.t('0600, in the extension\'s storage') },
        { label: vscode.l10n.t('Merge into {0}', userKubeconfig(deps)), id: 'kubeconfig', description: vscode.l10n.t('atomic, with a backup; kubectl sees it too') },
      ], { title: title(vscode.l10n.t('Where the kubeconfig goes')) }, at);
      st.storage = p.id as KubeconfigStorage;
    },
    async (st, at) => {
      try {
        st.plan = k3s.planK3s({
          cluster: t.name, channel: st.channel, keep: st.keep, clusterCidr: st.clusterCidr, serviceCidr: st.serviceCidr,
          api: st.api === 'vip' ? { kind: 'vip', address: st.vip ?? '' } : { kind: 'first-control-plane' }, apiPort: deps.tuning.apiPort,
          nodes: nodes.map((n) => ({ ...n, sshPort: deps.tuning.sshPort?.(n) ?? settings.get('ssh.port') })),
        });
      } catch (e) {
        if (e instanceof k3s.K3sPlanError) throw new Error(vscode.l10n.t('Cannot bootstrap {0}: {1}', t.name, e.problems.join(' ')));
        throw e;
      }
      const plan = st.plan;
      const lines: SummaryLine[] = [
        { label: vscode.l10n.t('K3s version'), value: `v${plan.channel}.x`, step: 0 },
        { label: vscode.l10n.t('Add-ons kept'), value: st.keep.map((a) => ADDON_LABEL[a]).join(', ') || vscode.l10n.t('none'), step: 1 },
        { label: vscode.l10n.t('Cluster CIDR'), value: plan.clusterCidr, step: 2 },
        { label: vscode.l10n.t('Service CIDR'), value: plan.serviceCidr, step: 3 },
        { label: vscode.l10n.t('API address'), value: plan.apiUrl, step: 4 },
        { label: vscode.l10n.t('Kubeconfig'), value: st.storage === 'extension' ? vscode.l10n.t('Homelab\'s own file') : userKubeconfig(deps), step: 5 },
        ...plan.nodes.map((n) => ({ label: `${n.name}  ${n.role}  ${n.address}`, value: n.clusterInit ? vscode.l10n.t('starts the cluster (embedded etcd)') : n.serverAddr ? vscode.l10n.t('joins {0}', n.serverAddr) : vscode.l10n.t('starts the cluster') })),
      ];
      await prompts.summaryStep(vscode.l10n.t('Bootstrap K3s on "{0}": {1} nodes, context {2}?', t.name, plan.nodes.length, plan.contextName), lines, vscode.l10n.t('Bootstrap'), at);
    },
  ]);
  return s;
}

/** Runs engine work under a cancellable notification and the terminal's Ctrl+C. */
export function withCancellableProgress<T>(title: string, pty: DeployTerminal<NodeProgress>, status: () => string, work: (signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    const subs = [token.onCancellationRequested(() => ac.abort()), pty.onInterrupt(() => ac.abort())];
    const timer = setInterval(() => progress.report({ message: status() }), 500);
    try {
      return await work(ac.signal);
    } finally {
      clearInterval(timer);
      subs.forEach((d) => d.dispose());
    }
  });
}

/** The per-node failures in a question, then Retry / Adopt / Stop until the engine is done or the user stops. */
async function runUntilDone(deps: K3sDeps, engine: K3sBootstrap, opts: BootstrapOptions, pty: DeployTerminal<NodeProgress>, plan: K3sPlan): Promise<Outcome> {
  const status = () => vscode.l10n.t('{0} of {1} nodes done', engine.progress.filter((p) => p.state === 'done' || p.state === 'adopted').length, plan.nodes.length);
  let outcome = await withCancellableProgress(vscode.l10n.t('Bootstrapping K3s on {0}…', plan.cluster), pty, status, (signal) => engine.run(signal));
  for (;;) {
    pty.flush();
    if (outcome.ok || outcome.cancelled) return outcome;
    const existing = outcome.failed.filter((p) => p.step === 'detect' && /Homelab did not set it up/.test(p.message ?? ''));
    const retry = vscode.l10n.t('Retry Failed Nodes');
    const adopt = vscode.l10n.t('Adopt Existing K3s');
    const stop = vscode.l10n.t('Stop');
    const detail = outcome.failed.map((p) => `${p.node.name} (${p.node.address}) — ${p.step}: ${(p.message ?? '').split('\n')[0]}`).join('\n')
      + (existing.length ? '\n\n' + vscode.l10n.t('Adopt changes nothing on nodes that run K3s already: Homelab only fetches the kubeconfig.') : '');
    let choice: string;
    try {
      choice = await deps.prompts.confirm(vscode.l10n.t('K3s on {0}: {1} of {2} nodes failed.', plan.cluster, outcome.failed.length, plan.nodes.length), detail, retry, ...(existing.length ? [adopt] : []), stop);
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
      choice = stop;
    }
    if (choice === stop) return outcome;
    if (choice === adopt) opts.adoptExisting = true;
    pty.line(choice === adopt ? vscode.l10n.t('— adopting the existing K3s —') : vscode.l10n.t('— retrying {0} nodes from their failed step —', outcome.failed.length));
    outcome = await withCancellableProgress(vscode.l10n.t('Retrying K3s on {0}…', plan.cluster), pty, status, (signal) => engine.run(signal));
  }
}

async function bootstrap(deps: K3sDeps, arg: unknown): Promise<BootstrapResult> {
  const t = await resolveK3sTarget(deps, arg);
  const s = await wizard(deps, t);
  const plan = s.plan!;
  const connect = await nodeConnector(deps, t);
  const k3s = await import('../../providers/k3s');
  const started = Date.now();
  const token = await clusterToken(deps, t);
  const pty = new DeployTerminal<NodeProgress>(vscode.l10n.t('K3s {0}', t.name), vscode.l10n.t('K3s v{0} on {1}: {2} nodes, API {3}', plan.channel, t.name, plan.nodes.length, plan.apiUrl), (p) => k3s.statusTable(p));
  const { terminal } = deps.operations.terminals.create('task', pty, new vscode.ThemeIcon('server-environment'));
  terminal.show(true);
  const parallelism = Math.max(1, settings.get('cluster.parallelism'));
  const tuning = deps.tuning;
  const opts: BootstrapOptions = {
    connect, root: tuning.root, sudo: tuning.sudo, token, moduleFiles: k3s.readK3sModuleFiles(deps.bundledDir), parallelism, startTimeoutS: tuning.startTimeoutS,
    onProgress: (p) => {
      if (p.state === 'failed' || p.state === 'blocked') pty.line(`${p.node.name}: ${vscode.l10n.t('FAILED at {0}: {1}', p.step, p.message ?? '?')}`);
      if (p.state === 'adopted') pty.line(`${p.node.name}: ${p.message ?? ''}`);
      pty.setProgress(engine.progress);
    },
    onLog: (node, line) => pty.line(`${node}: ${line}`),
  };
  const engine = new k3s.K3sBootstrap(plan, opts);
  pty.setProgress(engine.progress);
  pty.line(vscode.l10n.t('Control planes one at a time, then workers {0} at a time. Press Ctrl+C to cancel.', parallelism));
  const result = (status: BootstrapResult['status'], extra: Partial<BootstrapResult> = {}): BootstrapResult => ({ status, context: plan.contextName, progress: engine.progress, ...extra });
  const finish = async (text: string, ok: boolean) => {
    pty.finish(text);
    await reportActivity(deps, { what: vscode.l10n.t('Bootstrap K3s on {0}', t.name), cluster: t.file.proxmoxCluster, target: plan.contextName, durationMs: Date.now() - started, result: text });
    return ok;
  };

  const outcome = await runUntilDone(deps, engine, opts, pty, plan);
  if (!outcome.ok) {
    const text = outcome.cancelled ? vscode.l10n.t('cancelled') : vscode.l10n.t('{0} of {1} nodes failed', outcome.failed.length, plan.nodes.length);
    await finish(text, false);
    if (outcome.cancelled) throw new CancelledError();
    throw new Error(vscode.l10n.t('K3s on {0}: {1}. The failed nodes\' token files were removed; run "Bootstrap Kubernetes (K3s)" again to retry.', t.name, outcome.failed.map((p) => `${p.node.name}: ${(p.message ?? p.step).split('\n')[0]}`).join('; ')));
  }

  // The kubeconfig: read from the first server, stored, in the tree at once.
  let kubeconfigPath: string;
  let kubeconfigYaml: string;
  try {
    kubeconfigYaml = await k3s.fetchClusterKubeconfig(plan, { connect, root: tuning.root, sudo: tuning.sudo, signal: new AbortController().signal });
    kubeconfigPath = await storeKubeconfig(deps, s.storage, plan.contextName, kubeconfigYaml, (l) => pty.line(l));
    if (s.storage === 'extension') await deps.kubeconfigs.add(kubeconfigPath);
    await deps.kubernetes.addKubeconfigFile(kubeconfigPath);
  } catch (e) {
    await finish(vscode.l10n.t('kubeconfig not stored: {0}', e instanceof Error ? e.message : String(e)), false);
    throw e;
  }

  // Ready means ready: every node through a watch, per node in the table.
  let version: string | undefined;
  try {
    const ready = await withCancellableProgress(vscode.l10n.t('Waiting for {0} nodes to be Ready…', plan.nodes.length), pty,
      () => vscode.l10n.t('{0} of {1} nodes Ready', engine.progress.filter((p) => p.readiness?.ready).length, plan.nodes.length),
      (signal) => k3s.waitForNodesReady({
        client: k3s.clientFromKubeconfig(kubeconfigYaml), nodes: plan.nodes.map((n) => n.name), signal, timeoutMs: tuning.readyTimeoutMs, unreachableMs: tuning.unreachableMs,
        onUpdate: (m) => {
          for (const p of engine.progress) p.readiness = m.get(p.node.name);
          pty.setProgress(engine.progress);
        },
      }));
    version = [...ready.values()].find((r) => r.version)?.version;
  } catch (e) {
    pty.flush();
    await recordK3s(deps, t, plan, s, kubeconfigPath, undefined);
    if (isCancellation(e)) {
      await finish(vscode.l10n.t('cancelled while waiting for Ready'), false);
      throw e;
    }
    await finish(vscode.l10n.t('not Ready: {0}', e instanceof Error ? e.message : String(e)), false);
    throw e;
  }
  pty.flush();
  await recordK3s(deps, t, plan, s, kubeconfigPath, version);
  const summary = vscode.l10n.t('K3s {0} on {1}: {2} nodes Ready in {3} s', version ?? `v${plan.channel}`, t.name, plan.nodes.length, Math.round((Date.now() - started) / 1000));
  await finish(summary, true);
  void offerNext(deps, t, plan.contextName);
  return result('ready', { kubeconfig: kubeconfigPath, version });
}

/** homelab/clusters/<name>.yaml gets the k3s section: version, API address, where the kubeconfig is. */
async function recordK3s(deps: K3sDeps, t: K3sTarget, plan: K3sPlan, s: Answers, kubeconfig: string, version: string | undefined): Promise<void> {
  const { withK3sSection } = await import('../../providers/k3s/cluster-file');
  const section: K3sSection = {
    channel: plan.channel, version, apiUrl: plan.apiUrl, context: plan.contextName, storage: s.storage, kubeconfig, keep: s.keep,
    clusterCidr: plan.clusterCidr, serviceCidr: plan.serviceCidr, vip: s.api === 'vip' ? s.vip : undefined, bootstrappedAt: new Date().toISOString(),
  };
  // Reread: the file may have been edited while the nodes rebuilt.
  const current = new TextDecoder().decode(await vscode.workspace.fs.readFile(t.uri).then((b) => b, () => new TextEncoder().encode(t.text)));
  try {
    await writeClusterFile(t, withK3sSection(current, section));
  } catch (e) {
    deps.log.warn(`k3s ${t.name}: cluster file not updated: ${e instanceof Error ? e.message : e}`);
  }
}

/** After a bootstrap: make the context current, and (when the template has NFS settings) set up NFS storage. */
async function offerNext(deps: K3sDeps, t: K3sTarget, context: string): Promise<void> {
  const use = vscode.l10n.t('Use as Current Context');
  const nfs = vscode.l10n.t('Set Up NFS Storage');
  const hasNfs = !!settings.get('nix.nfsServer') && !!settings.get('nix.nfsExport');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('K3s runs on {0}: the context {1} is in the Kubernetes view.', t.name, context), use, ...(hasNfs ? [nfs] : []));
  if (choice === use) deps.log.info(`k3s: current context ${context} (${await deps.kubernetes.useContext(context)})`);
  if (choice === nfs) await vscode.commands.executeCommand('homelab.k3s.setUpNfs', { name: t.name });
}

export function registerK3sBootstrapCommands(registry: CommandRegistry, deps: K3sDeps): void {
  registry.register('homelab.k3s.bootstrap', (arg: unknown) => bootstrap(deps, arg));
}
