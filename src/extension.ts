import * as vscode from 'vscode';
import { join } from 'node:path';
import { registerClusterDeployCommands, type DeployTuning } from './commands/cluster/deploy';
import { registerClusterManageCommands } from './commands/cluster/manage';
import { registerGeneralCommands } from './commands/general';
import { registerJournalCommands } from './commands/journal';
import { registerTrackerCommands } from './commands/tracker';
import { Prompts } from './commands/prompts';
import { connectDemoLab, registerClusterCommands, type DemoLab } from './commands/proxmox/clusters';
import { registerCloneCommands } from './commands/proxmox/clone';
import { registerLifecycleCommands } from './commands/proxmox/lifecycle';
import { registerMigrateCommands } from './commands/proxmox/migrate';
import { Operations } from './commands/proxmox/operation';
import { registerShellCommands } from './commands/proxmox/shell';
import { registerTaskCommands } from './commands/proxmox/tasks';
import { registerTemplateCommands } from './commands/proxmox/template';
import { CommandRegistry } from './commands/registry';
import { ActivityLog } from './state/activity';
import { registerBuildCommand, type BuildDeps } from './commands/nix/build';
import { registerEjectCommand } from './commands/nix/eject';
import { pipelineStore, workspaceDir } from './commands/nix/settings';
import { registerUploadCommands } from './commands/proxmox/upload';
import { registerPipelineCommands } from './commands/template/pipeline';
import { PIPELINE_STATE_FILE, templateSteps, type TemplateDeps } from './providers/nix/template';
import { PipelineTreeProvider } from './views/pipeline/tree';
import { Landing } from './views/landing';
import { ClusterStore } from './state/clusters';
import { Connections } from './state/connections';
import { JournalPanels } from './views/journal/panel';
import { registerKubernetesCommands } from './commands/kubernetes';
import { KubernetesTreeProvider, type KubeElement } from './views/kubernetes/tree';
import { KubernetesYamlProvider, YAML_SCHEME } from './views/kubernetes/yaml-document';
import { ProxmoxTreeProvider } from './views/proxmox/tree';
import { Terminals } from './views/terminals/output';
import { TrackerPanels } from './views/tracker/panel';
import { StatusRecordingChoice, useStatusRecording } from './views/tracker/status-recording';
import { useActivityConsentState } from './views/journal/activity-consent';
import { JOURNAL_VIEW_TYPE } from './protocol/journal';
import { TRACKER_VIEW_TYPE } from './protocol/tracker';

/** What the extension hands to tests through `extensions.getExtension(...).exports`. */
export interface HomelabApi {
  readonly registry: CommandRegistry;
  readonly prompts: Prompts;
  readonly clusters: ClusterStore;
  readonly proxmoxTree: ProxmoxTreeProvider;
  readonly proxmoxView: vscode.TreeView<unknown>;
  /** Task and SSH terminals and the tasks being followed (tests, benchmarks). */
  readonly operations: Operations;
  /** The known-hosts file of SSH shells. */
  readonly knownHostsPath: string;
  /** Long operations append a line here (journal/activity.md). */
  readonly activity: ActivityLog;
  readonly journal: JournalPanels;
  readonly tracker: TrackerPanels;
  /** Cluster deploy knobs (tests map VMs to a loopback sshd and shorten timeouts). */
  readonly deployTuning: DeployTuning;
  readonly kubernetesTree: KubernetesTreeProvider;
  readonly kubernetesView: vscode.TreeView<KubeElement>;
  /** Pinned Proxmox clients per cluster (tests wrap one to inject a failure at a pipeline step). */
  readonly connections: Connections;
  /** The Pipeline view (tests read its rows). */
  readonly pipelineTree: PipelineTreeProvider;
  /** Problems of the NixOS files found by nix-instantiate. */
  readonly nixDiagnostics: vscode.DiagnosticCollection;
}

// Wiring only: create services, views and commands. No network I/O here (activation must stay fast).
export function activate(context: vscode.ExtensionContext): HomelabApi {
  const log = vscode.window.createOutputChannel('Homelab', { log: true });
  const registry = new CommandRegistry(log);
  const prompts = new Prompts();
  const clusters = new ClusterStore(context.secrets);
  const connections = new Connections(clusters);
  context.subscriptions.push(log, registry, clusters, connections);

  const proxmoxTree = new ProxmoxTreeProvider(clusters, connections, log);
  const proxmoxView = vscode.window.createTreeView('homelab.proxmox', { treeDataProvider: proxmoxTree, showCollapseAll: true, canSelectMany: true });
  proxmoxTree.attach(proxmoxView);
  const kubernetesTree = new KubernetesTreeProvider(log);
  const kubernetesView = vscode.window.createTreeView('homelab.kubernetes', { treeDataProvider: kubernetesTree, showCollapseAll: true });
  kubernetesTree.attach(kubernetesView);
  const kubernetesYaml = new KubernetesYamlProvider(kubernetesTree);
  context.subscriptions.push(
    proxmoxTree,
    proxmoxView,
    kubernetesTree,
    kubernetesView,
    kubernetesYaml,
    vscode.workspace.registerTextDocumentContentProvider(YAML_SCHEME, kubernetesYaml),
  );

  // The simulator bundle is loaded only when the demo lab is asked for.
  const startDemoLab = async (): Promise<DemoLab> => {
    const { startSimulator } = require(join(context.extensionPath, 'dist/simulator.js')) as typeof import('../test/proxmox-sim');
    const sim = await startSimulator({ nodes: 3, guests: 24, seed: 1, taskDurationMs: 3000, lab: true });
    context.subscriptions.push({ dispose: () => void sim.close() });
    log.info(`demo lab: simulator listening on ${sim.url}`);
    return sim;
  };

  registerGeneralCommands(registry, log);
  registerClusterCommands(registry, { clusters, connections, tree: proxmoxTree, prompts, log, startDemoLab });
  registerKubernetesCommands({ registry, tree: kubernetesTree, prompts, log, yaml: kubernetesYaml, extensionUri: context.extensionUri, view: kubernetesView });

  const activity = new ActivityLog(log);
  const journal = new JournalPanels(context.extensionUri, log);
  const tracker = new TrackerPanels(context.extensionUri, log);
  context.subscriptions.push(
    activity, journal, tracker,
    vscode.window.registerWebviewPanelSerializer(JOURNAL_VIEW_TYPE, journal),
    vscode.window.registerWebviewPanelSerializer(TRACKER_VIEW_TYPE, tracker),
  );
  registerJournalCommands(registry, { panels: journal, prompts, log });
  registerTrackerCommands(registry, { panels: tracker });
  useStatusRecording(new StatusRecordingChoice(context.workspaceState, prompts));
  useActivityConsentState(context.workspaceState);

  const terminals = new Terminals();
  const operations = new Operations(terminals, proxmoxTree, log);
  const knownHostsPath = join(context.globalStorageUri.fsPath, 'known_hosts');
  operations.activity = activity;
  context.subscriptions.push(terminals, operations);
  const ops = { clusters, connections, tree: proxmoxTree, prompts, log, operations };
  registerLifecycleCommands(registry, ops);
  registerTemplateCommands(registry, ops);
  registerCloneCommands(registry, ops);
  registerMigrateCommands(registry, ops);
  registerTaskCommands(registry, ops);
  registerShellCommands(registry, { ...ops, knownHostsPath });
  const deployTuning: DeployTuning = {};
  registerClusterDeployCommands(registry, { ...ops, knownHostsPath, tuning: deployTuning });
  registerClusterManageCommands(registry, ops);

  // NixOS template pipeline.
  const bundledDir = join(context.extensionPath, 'resources', 'nix');
  const nixDiagnostics = vscode.languages.createDiagnosticCollection('nix');
  const build: BuildDeps = { prompts, terminals, log, bundledDir, workDir: join(context.globalStorageUri.fsPath, 'nix-build'), knownHostsPath, diagnostics: nixDiagnostics };
  const pipelineTree = new PipelineTreeProvider(async () => {
    const ws = workspaceDir();
    return ws ? (await pipelineStore(join(ws, PIPELINE_STATE_FILE))).load() : undefined;
  }, templateSteps({} as TemplateDeps));
  context.subscriptions.push(nixDiagnostics, pipelineTree, vscode.window.createTreeView('homelab.pipeline', { treeDataProvider: pipelineTree }));
  registerEjectCommand(registry, { prompts, bundledDir });
  registerBuildCommand(registry, build);
  registerUploadCommands(registry, ops);
  registerPipelineCommands(registry, { ...ops, build, view: pipelineTree });

  // First run: context keys that tick the walkthrough from real state and show views when they have content.
  const landing = new Landing({
    clusterCount: () => clusters.list().length,
    onDidChangeClusters: clusters.onDidChange,
    pipelineExists: async () => { const ws = workspaceDir(); return !!ws && vscode.workspace.fs.stat(vscode.Uri.file(join(ws, PIPELINE_STATE_FILE))).then(() => true, () => false); },
    onDidChangePipeline: pipelineTree.onDidChangeTreeData,
    kubeContexts: async () => (await kubernetesTree.kubeconfig()).contexts.map((c) => c.name),
  });
  context.subscriptions.push(landing);

  // `npm run demo` starts the simulator itself and hands its address to the extension host.
  const demo = process.env.HOMELAB_DEMO_CLUSTER;
  if (demo) void connectDemoLab({ clusters }, JSON.parse(demo) as DemoLab).catch((e) => log.error(`demo lab: ${e}`));
  if (demo && !context.workspaceState.get<boolean>('homelab.demoLandingShown')) {
    void context.workspaceState.update('homelab.demoLandingShown', true);
    void landing.showDemoLanding().catch((e) => log.error(`demo landing: ${e}`));
  }

  log.info(`Homelab ${context.extension.packageJSON.version} activated`);
  return {
    registry, prompts, clusters, connections, proxmoxTree, proxmoxView, kubernetesTree, kubernetesView,
    operations, knownHostsPath, activity, journal, tracker, deployTuning, pipelineTree, nixDiagnostics,
  };
}

export function deactivate(): void {}
