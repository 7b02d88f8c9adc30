// homelab.template.buildAndDeploy: the NixOS template pipeline in one command. Build the ISO,
// upload it, create the VM, start it, follow the auto-install (serial console in the terminal)
// until it powers off, detach the ISO, add the cloud-init drive, convert to a template, apply ISO
// retention, report the activity. Each step's result goes to the state file in the workspace, so
// running the command again offers to resume after the last completed step.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { PipelineState } from '../../providers/nix/pipeline';
import type { PipelineRuns } from '../../services/pipeline';
import { buildIso, phaseLabel, withBuildUi, type BuildDeps, type UploadFromBuildHost } from '../nix/build';
import { buildHostSetting, elapsed, nixEnv, pipelineStore, templateInputs, workspaceDir } from '../nix/settings';
import { confirmIsoDeletion, progressText } from '../proxmox/upload';
import { reportActivity, type OperationDeps } from '../proxmox/operation';
import { CancelledError } from '../../providers/cancellation';
import type { CommandRegistry } from '../registry';
import { settings } from '../../services/settings';
import { OperationRefused, type PipelineAccess, type PipelinePreview, type Progress } from '../../operations/types';

export interface PipelineDeps extends OperationDeps {
  build: BuildDeps;
  pipeline: PipelineRuns;
}

async function chooseNode(deps: PipelineDeps, client: import('../../providers/proxmox').ProxmoxClient): Promise<string> {
  const set = settings.get('template.node').trim();
  if (set) return set;
  const nodes = (await client.get<Array<{ node: string; status?: string }>>('/nodes')).filter((n) => n.status !== 'offline').map((n) => n.node).sort();
  if (!nodes.length) throw new Error(vscode.l10n.t('No node of the cluster is online.'));
  if (nodes.length === 1) return nodes[0];
  return (await deps.prompts.pick(nodes.map((n) => ({ label: n, id: n })), { title: vscode.l10n.t('Build the template on which node? (set homelab.template.node to skip this)') })).label;
}

/** With homelab.nix.uploadFromBuildHost and a build host, the build host uploads the ISO itself:
 *  curl there pins the very certificate whose fingerprint this cluster pins. API tokens only. */
async function uploadFromBuildHostTarget(deps: PipelineDeps, cluster: import('../../services/proxmox/clusters').ClusterConfig,
  client: import('../../providers/proxmox').ProxmoxClient, inputs: { node: string; isoStorage: string }): Promise<UploadFromBuildHost | undefined> {
  if (!settings.get('nix.uploadFromBuildHost') || !buildHostSetting()) return undefined;
  const auth = await deps.clusters.auth(cluster);
  if (auth.kind !== 'token') {
    throw new Error(vscode.l10n.t('Uploading from the build host needs an API token; cluster "{0}" signs in with a password. Turn homelab.nix.uploadFromBuildHost off to fetch the ISO back and upload it from here.', cluster.name));
  }
  const px = await import('../../providers/proxmox');
  const cert = await px.fetchServerCertificate(cluster.url);
  if (!cluster.fingerprint || cert.fingerprint256.toUpperCase() !== cluster.fingerprint.toUpperCase()) {
    throw new Error(vscode.l10n.t('The certificate of {0} is not the pinned one ({1}): refusing to hand it to the build host.', cluster.url, cert.fingerprint256));
  }
  return {
    client, url: cluster.url, node: inputs.node, storage: inputs.isoStorage, filename: px.homelabIsoName(new Date()),
    certPem: cert.pem, authorization: `PVEAPIToken=${auth.tokenId}=${auth.secret}`,
  };
}

/** A run started by a catalog tool: its answers given up front, nothing asked that a model would answer. */
export interface ToolRun {
  node: string;
  resume: boolean;
  signal: AbortSignal;
  progress: Progress;
}

async function buildAndDeploy(deps: PipelineDeps, args: unknown[], tool?: ToolRun): Promise<PipelineState | undefined> {
  const nix = await import('../../providers/nix');
  const px = await import('../../providers/proxmox');
  const { resolveCluster } = await import('../proxmox/clusters');
  const ws = workspaceDir();
  if (!ws) throw new Error(vscode.l10n.t('Open a folder first: the pipeline keeps its state in homelab/pipeline/ of the workspace, so it can resume.'));
  const cluster = await resolveCluster(deps, args[0]);
  const client = await deps.connections.client(cluster);
  const store = await pipelineStore(path.join(ws, nix.PIPELINE_STATE_FILE));

  const serial = px.serialConsoleReader(client);
  let term: import('../../views/terminals/log-terminal').LogTerminal | undefined;
  let setPhase: (t: string) => void = () => undefined;
  let stepTitle = '';
  const steps = nix.templateSteps({
    client,
    pollMs: deps.operations.pollMs,
    readSerial: (node, vmid, from) => serial.readSerial(node, vmid, from),
    buildIso: async (ctx) => {
      const uploadTo = await uploadFromBuildHostTarget(deps, cluster, client, ctx.inputs);
      const r = await buildIso(deps.build, term!, { signal: ctx.signal, uploadTo, unknownHostKey: tool ? 'refuse' : 'ask', onPhase: (p) => setPhase(`${stepTitle}: ${phaseLabel(p)}`) });
      return r.volid ? { volid: r.volid, sha256: r.sha256 } : { isoPath: r.isoPath };
    },
    onUploadProgress: (p) => setPhase(`${stepTitle}: ${progressText(p)}`),
    confirmDelete: (items) => confirmIsoDeletion(deps.prompts, items, templateInputs('').keepIsos),
    appendJournal: async (line) => {
      await reportActivity(deps, { what: line, cluster: cluster.name, target: 'nixos-template', durationMs: Date.now() - started, result: 'OK' });
      return undefined;
    },
  });

  // Resume or start over.
  const info = await nix.resumeInfo(store, nix.TEMPLATE_PIPELINE, steps);
  let resume = false;
  if (tool) resume = tool.resume && info.resumable;
  else if (info.resumable && info.nextStep) {
    const last = info.previous!.steps.filter((s) => s.status === 'done').pop();
    const resumeLabel = last ? vscode.l10n.t('Resume after "{0}"', last.title) : vscode.l10n.t('Resume');
    const fresh = vscode.l10n.t('Start Over');
    const left = info.previous!.created.map((c) => c.description);
    const choice = await deps.prompts.confirm(
      vscode.l10n.t('The last NixOS template run stopped at "{0}". Resume it?', info.nextStep.title),
      vscode.l10n.t('Completed: {0}.', info.completed.join(', ') || '-') +
        (left.length ? '\n' + vscode.l10n.t('It made: {0}. Starting over keeps these (they are listed in the Pipeline view for you to clean up).', left.join('; ')) : ''),
      resumeLabel, fresh,
    );
    resume = choice === resumeLabel;
  }
  const inputs = templateInputs(tool ? tool.node : await chooseNode(deps, client));
  const started = Date.now();
  // The Pipeline view is shown once a pipeline exists (views/landing.ts): this one starts now.
  await vscode.commands.executeCommand('setContext', 'homelab.pipelineExists', true);
  await vscode.commands.executeCommand('homelab.pipeline.focus').then(undefined, () => undefined);
  try {
    return await withBuildUi(deps.build, vscode.l10n.t('NixOS template'), vscode.l10n.t('NixOS template pipeline · {0}', cluster.name), async (t, signal, phase) => {
      term = t;
      setPhase = phase;
      t.dim(vscode.l10n.t('{0} · node {1} · {2}', cluster.name, inputs.node, resume ? vscode.l10n.t('resuming') : vscode.l10n.t('new run')));
      try {
        const state = await nix.runPipeline(steps, {
          pipeline: nix.TEMPLATE_PIPELINE, store, inputs, resume, signal,
          onLog: (l) => t.line(l),
          onChange: (s) => {
            deps.pipeline.update(s);
            const run = s.steps.find((x) => x.status === 'running');
            if (run && run.title !== stepTitle) {
              stepTitle = run.title;
              phase(run.title);
            }
          },
        });
        const vmid = Number(state.steps.find((s) => s.id === 'create-vm')?.result?.vmid);
        t.end(true, vscode.l10n.t('Template ready: VM {0} on {1} ({2})', vmid, inputs.node, elapsed(Date.now() - started)));
        if (tool) return state;
        void vscode.window.showInformationMessage(vscode.l10n.t('NixOS template ready: VM {0} on {1}.', vmid, inputs.node));
        return state;
      } catch (e) {
        if (e instanceof nix.PipelineError) {
          if (e.cancelled) {
            t.end(false, vscode.l10n.t('CANCELLED at "{0}". Run the command again to resume.', e.stepTitle));
            if (tool) throw new CancelledError(vscode.l10n.t('The NixOS template pipeline was cancelled at "{0}"; run it again to resume.', e.stepTitle));
            void vscode.window.showInformationMessage(vscode.l10n.t('The NixOS template pipeline was cancelled at "{0}"; run it again to resume.', e.stepTitle));
            throw new CancelledError();
          }
          const cause = e.cause instanceof Error ? e.cause.message : String(e.cause);
          const left = e.created.length ? ' ' + vscode.l10n.t('Left for you to clean up or reuse: {0}.', e.created.map((c) => c.description).join('; ')) : '';
          const message = vscode.l10n.t('Step "{0}" failed: {1}', e.stepTitle, cause) + left + ' ' + vscode.l10n.t('Run the command again to resume from this step.');
          t.end(false, message);
          throw new Error(message);
        }
        throw e;
      }
    }, tool && { signal: tool.signal, onPhase: (p) => tool.progress.report(p) });
  } finally {
    serial.closeAll();
    void deps.operations.endOperation(cluster.id);
  }
}

const hostOf = (h: string, port: number) => (port === 22 ? h : `${h}:${port}`);

/**
 * What a run would do, read without side effects: the node, the builder, and for a build host its
 * key as known_hosts judges it (an unknown key is captured and declined, never trusted).
 */
async function preview(deps: PipelineDeps, clusterId: string, node: string | undefined): Promise<PipelinePreview> {
  const nix = await import('../../providers/nix');
  const cluster = deps.clusters.get(clusterId);
  if (!cluster) throw new Error(vscode.l10n.t('No cluster with id "{0}".', clusterId));
  const client = await deps.connections.client(cluster);
  const nodes = (await client.get<Array<{ node: string; status?: string }>>('/nodes')).filter((n) => n.status !== 'offline').map((n) => n.node).sort();
  const set = settings.get('template.node').trim();
  const chosen = node ?? (set || (nodes.length === 1 ? nodes[0] : undefined));
  if (node && !nodes.includes(node)) throw new OperationRefused(vscode.l10n.t('{0} is not an online node of {1} (online: {2}).', node, cluster.name, nodes.join(', ') || '-'));
  const ws = workspaceDir();
  if (!ws) throw new OperationRefused(vscode.l10n.t('Open a folder first: the pipeline keeps its state in homelab/pipeline/ of the workspace, so it can resume.'));
  const info = await nix.resumeInfo(await pipelineStore(path.join(ws, nix.PIPELINE_STATE_FILE)), nix.TEMPLATE_PIPELINE, nix.templateSteps({} as import('../../providers/nix').TemplateDeps));
  const resumable = info.resumable && info.nextStep ? { nextStep: info.nextStep.title, completed: info.completed } : undefined;
  const remote = buildHostSetting();
  const where = await nix.chooseBuilder({ buildHost: remote ? remote.host : undefined, env: nixEnv() }).catch((e: unknown) => {
    if (nix.isNixError(e, 'no-builder')) throw new OperationRefused(vscode.l10n.t('Building the NixOS ISO needs Nix on this machine or "homelab.nix.buildHost" set to a machine with Nix reached over SSH; neither is there.'));
    throw e;
  });
  if (where.kind === 'local') return { node: chosen, nodes, builder: { kind: 'local', where: vscode.l10n.t('this machine (Nix {0})', where.nix.version) }, resumable };
  const host = remote!;
  const user = host.user ?? process.env.USER ?? 'root';
  const ssh = await import('../../providers/ssh');
  let seen: { keyType: string; fingerprint: string } | undefined;
  const builder: PipelinePreview['builder'] = { kind: 'remote', host: host.host, port: host.port, user, trusted: false };
  try {
    const keyPath = settings.get('ssh.privateKeyPath').replace(/^~(?=\/)/, process.env.HOME ?? '~') || undefined;
    const session = await ssh.connectSsh({
      host: host.host, port: host.port, username: user, privateKeyPath: keyPath, knownHosts: new ssh.KnownHosts(deps.build.knownHostsPath), readyTimeoutMs: 10_000,
      confirmUnknown: async (k) => { seen = { keyType: k.keyType, fingerprint: k.fingerprint }; return false; },
    });
    Object.assign(builder, { keyType: session.hostKey.keyType, fingerprint: session.hostKey.fingerprint, trusted: true });
    session.close();
  } catch (e) {
    if (seen) Object.assign(builder, seen);
    else if (e instanceof ssh.SshAuthError) Object.assign(builder, { trusted: true, error: e.message });
    else Object.assign(builder, { error: `${hostOf(host.host, host.port)}: ${e instanceof Error ? e.message : String(e)}` });
  }
  return { node: chosen, nodes, builder, resumable };
}

/** The pipeline for the catalog's pipeline_start: preview and start, the same run the palette makes. */
export function pipelineRunner(deps: PipelineDeps): Required<Omit<PipelineAccess, 'state'>> {
  return {
    preview: (o) => preview(deps, o.clusterId, o.node),
    async start(o) {
      const s = await buildAndDeploy(deps, [o.clusterId], o);
      if (!s) throw new Error(vscode.l10n.t('The NixOS template pipeline ended without a result.'));
      return s;
    },
  };
}

export function registerPipelineCommands(registry: CommandRegistry, deps: PipelineDeps): void {
  registry.register('homelab.template.buildAndDeploy', (...args: unknown[]) => buildAndDeploy(deps, args));
  registry.register('homelab.pipeline.refresh', () => deps.pipeline.reload());
}
