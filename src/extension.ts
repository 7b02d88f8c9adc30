import * as vscode from 'vscode';
import { join } from 'node:path';
import type { DeployTuning } from './commands/cluster/deploy';
import type { AgentTools } from './commands/agent/tools';
import { registerAgentTools } from './commands/agent/register';
import type { K3sTuning } from './commands/k3s';
import type { AppDeployTuning } from './commands/apps/deploy';
import { ClusterRecords } from './services/cluster-records';
import { registerGeneralCommands } from './commands/general';
import { COMMAND_IDS } from './commands/ids';
import { Prompts } from './commands/prompts';
import type { DemoLab } from './commands/proxmox/clusters';
import { CommandRegistry } from './commands/registry';
import { ActivityLog } from './services/activity';
import { Operations } from './services/operations';
import { ProxmoxSession } from './services/proxmox/session';
import { GuestData } from './services/proxmox/guest-data';
import { Terminals } from './services/terminals';
import type { BuildDeps } from './commands/nix/build';
import { workspaceDir } from './commands/nix/settings';
import { pipelineStateStore } from './services/files';
import { PipelineRuns } from './services/pipeline';
import { PIPELINE_STATE_FILE } from './providers/nix/pipeline-file';
import type { TemplateDeps } from './providers/nix/template';
import { PipelineTreeProvider } from './views/pipeline/tree';
import type { ClusterStore } from './services/proxmox/clusters';
import type { Connections } from './services/proxmox/connections';
import { Landing } from './views/landing';
import { KubernetesSession, PortForwards } from './services/kubernetes';
import { Applications } from './services/kubernetes/applications';
import { Migrations } from './services/migrations';
import { KubernetesTreeProvider } from './views/kubernetes/tree';
import { KubernetesYamlProvider, YAML_SCHEME } from './views/kubernetes/yaml-document';
import { EVENTS_SCHEME, KubernetesEventsProvider } from './views/kubernetes/events-document';
import { ProxmoxTreeProvider } from './views/proxmox/tree';
import { GuestDetails } from './services/proxmox/guest-details';
import { NOTES_REMOTE_SCHEME, NOTES_SCHEME, NotesFileSystem, notesUri } from './views/proxmox/notes-fs';
import { TagDecorations } from './views/proxmox/tag-decorations';
import { TaskTerminal } from './views/terminals/task-terminal';
import { DASHBOARD_VIEW_TYPE } from './protocol/dashboard';
import { StatusRecordingChoice, useStatusRecording } from './views/tracker/status-recording';
import { askOnceForActivityLog } from './views/journal/activity-consent';
import { JOURNAL_VIEW_TYPE } from './protocol/journal';
import { TRACKER_VIEW_TYPE } from './protocol/tracker';
import { testApi, testHooksEnabled, type HomelabApi } from './testing';

/** dist/lazy.js (src/lazy.ts): command modules and panel hosts, required on first use, not at activation. */
type Lazy = typeof import('./lazy');
let lazyModule: Lazy | undefined;
const lazy = (): Lazy => (lazyModule ??= require('./lazy') as Lazy);

/** Commands registered at activation with their real handler (tiny, no module of their own to load). */
const EAGER_COMMANDS = new Set<string>(['homelab.showLog', 'homelab.openWalkthrough']);

// Tests reach internals only through src/testing.ts (never in production: see activationExports).
export type { HomelabApi } from './testing';

// Wiring only: create services, views and commands. No network I/O here (activation must stay fast).
export function activate(context: vscode.ExtensionContext): HomelabApi | undefined {
  // Read once: whether this host is our test harness (then, and only then, tests get hooks).
  const hooks = testHooksEnabled(context.extensionMode, process.env);
  const log = vscode.window.createOutputChannel('Homelab', { log: true });
  const registry = new CommandRegistry(log);
  const prompts = new Prompts();
  // Services: live state and the one path of every Proxmox task; they fire events, views follow.
  const activity = new ActivityLog(log);
  const terminals = new Terminals();
  const operations = new Operations({ terminals, activity, log, taskPty: (name) => new TaskTerminal(name) });
  const proxmoxSession = new ProxmoxSession(context.secrets, log, { ends: [operations.onDidEndTask, operations.onDidEndOperation] });
  const { clusters, connections } = proxmoxSession;
  const guestData = new GuestData(proxmoxSession, [operations.onDidEndTask, operations.onDidEndOperation]);
  context.subscriptions.push(log, registry, activity, terminals, operations, proxmoxSession, guestData);

  // Notes (tooltips, the notes editor) and tag colours: read on demand, cached in one service.
  const guestDetails = new GuestDetails(proxmoxSession, log);
  const notesFs = new NotesFileSystem(proxmoxSession, guestDetails, log);
  const tagDecorations = new TagDecorations(proxmoxSession, guestDetails);
  context.subscriptions.push(
    guestDetails, notesFs, tagDecorations,
    vscode.workspace.registerFileSystemProvider(NOTES_SCHEME, notesFs, { isCaseSensitive: true }),
    vscode.workspace.registerTextDocumentContentProvider(NOTES_REMOTE_SCHEME, notesFs),
    vscode.window.registerFileDecorationProvider(tagDecorations),
  );
  const proxmoxTree = new ProxmoxTreeProvider(proxmoxSession, guestData, guestDetails);
  const proxmoxView = vscode.window.createTreeView('homelab.proxmox', { treeDataProvider: proxmoxTree, showCollapseAll: true, canSelectMany: true });
  proxmoxTree.attach(proxmoxView);
  const kubernetesSession = new KubernetesSession(log);
  const kubernetesForwards = new PortForwards(kubernetesSession, log);
  // Kubeconfig files the K3s bootstrap stored in the extension's storage: part of the tree again after a restart.
  const K3S_KUBECONFIGS = 'homelab.k3s.kubeconfigs';
  for (const f of context.globalState.get<string[]>(K3S_KUBECONFIGS, [])) void kubernetesSession.addKubeconfigFile(f);
  const k3sKubeconfigs = {
    add: (f: string) => Promise.resolve(context.globalState.update(K3S_KUBECONFIGS, [...new Set([...context.globalState.get<string[]>(K3S_KUBECONFIGS, []), f])])),
    remove: (f: string) => Promise.resolve(context.globalState.update(K3S_KUBECONFIGS, context.globalState.get<string[]>(K3S_KUBECONFIGS, []).filter((x) => x !== f))),
  };
  const clusterRecords = new ClusterRecords();
  const kubernetesApplications = new Applications(kubernetesSession);
  const kubernetesTree = new KubernetesTreeProvider(kubernetesSession, kubernetesForwards, (ctx, node) => clusterRecords.vmOf(ctx, node), kubernetesApplications);
  const kubernetesView = vscode.window.createTreeView('homelab.kubernetes', { treeDataProvider: kubernetesTree, showCollapseAll: true });
  kubernetesTree.attach(kubernetesView);
  const kubernetesYaml = new KubernetesYamlProvider(kubernetesSession);
  // Database migrations: state in the workspace, the PostgreSQL primitives and the kit loaded on first run.
  const migrations = new Migrations(kubernetesSession, activity, log, async () => {
    // podExec and the kit's apply from the Kubernetes providers bundle the session loaded; the rest in dist/lazy.js.
    const k = await kubernetesSession.modules();
    const podexec = (k as unknown as { podexec: { podExec: import('./services/migrations').MigrationParts['podExec'] } }).podexec;
    return (await import('./services/migration-parts')).migrationParts(context.extensionPath, { podExec: podexec.podExec, apps: k.apps });
  });
  context.subscriptions.push(
    clusterRecords,
    migrations,
    proxmoxTree,
    proxmoxView,
    kubernetesSession,
    kubernetesForwards,
    kubernetesApplications,
    kubernetesTree,
    kubernetesView,
    kubernetesYaml,
    vscode.workspace.registerTextDocumentContentProvider(YAML_SCHEME, kubernetesYaml),
    vscode.workspace.registerTextDocumentContentProvider(EVENTS_SCHEME, new KubernetesEventsProvider(kubernetesSession)),
  );

  // The simulator bundle is loaded only when the demo lab is asked for.
  const startDemoLab = async (): Promise<DemoLab> => {
    const { startSimulator } = require(join(context.extensionPath, 'dist/simulator.js')) as typeof import('../test/proxmox-sim');
    const sim = await startSimulator({ nodes: 3, guests: 24, seed: 1, taskDurationMs: 3000, lab: true });
    context.subscriptions.push({ dispose: () => void sim.close() });
    log.info(`demo lab: simulator listening on ${sim.url}`);
    return sim;
  };

  // Webview panel hosts (and the markdown, dashboard and chart code behind them) are created on first
  // use: by their command, or by VS Code restoring a panel (the serializers below load them then).
  let panelHosts: { journal: import('./views/journal/panel').JournalPanels; tracker: import('./views/tracker/panel').TrackerPanels; dashboard: import('./views/dashboard/panel').DashboardPanels } | undefined;
  const panels = (): NonNullable<typeof panelHosts> => {
    if (panelHosts) return panelHosts;
    const { JournalPanels, TrackerPanels, DashboardPanels } = lazy();
    panelHosts = { journal: new JournalPanels(context.extensionUri, log), tracker: new TrackerPanels(context.extensionUri, log), dashboard: new DashboardPanels(context.extensionUri, log, prompts) };
    context.subscriptions.push(panelHosts.journal, panelHosts.tracker, panelHosts.dashboard);
    return panelHosts;
  };
  const restore = (host: () => vscode.WebviewPanelSerializer): vscode.WebviewPanelSerializer => ({ deserializeWebviewPanel: (panel, state) => host().deserializeWebviewPanel(panel, state) });
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(JOURNAL_VIEW_TYPE, restore(() => panels().journal)),
    vscode.window.registerWebviewPanelSerializer(TRACKER_VIEW_TYPE, restore(() => panels().tracker)),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, restore(() => panels().dashboard)),
  );
  useStatusRecording(new StatusRecordingChoice(context.workspaceState, prompts));
  activity.onMissingJournal = askOnceForActivityLog(context.workspaceState);

  const knownHostsPath = join(context.globalStorageUri.fsPath, 'known_hosts');
  const ops = { session: proxmoxSession, clusters, connections, prompts, log, operations };
  const deployTuning: DeployTuning = {};
  const k3sTuning: K3sTuning = {};
  const appDeployTuning: AppDeployTuning = {};

  // NixOS template pipeline. The view needs only the steps' ids and titles, and only once a run exists.
  const bundledDir = join(context.extensionPath, 'resources', 'nix');
  const nixDiagnostics = vscode.languages.createDiagnosticCollection('nix');
  const build: BuildDeps = { prompts, terminals, log, bundledDir, workDir: join(context.globalStorageUri.fsPath, 'nix-build'), knownHostsPath, diagnostics: nixDiagnostics };
  const pipeline = new PipelineRuns(async () => {
    const ws = workspaceDir();
    return ws ? (await pipelineStateStore(join(ws, PIPELINE_STATE_FILE))).load() : undefined;
  });
  const pipelineTree = new PipelineTreeProvider(pipeline, () => lazy().templateSteps({} as TemplateDeps));
  context.subscriptions.push(nixDiagnostics, pipeline, pipelineTree, vscode.window.createTreeView('homelab.pipeline', { treeDataProvider: pipelineTree }));

  // Commands: registered now, their modules (dist/lazy.js) loaded on the first invocation of any.
  registerGeneralCommands(registry, log);
  registry.registerLazy(COMMAND_IDS.filter((id) => !EAGER_COMMANDS.has(id)), () => {
    const l = lazy();
    l.registerClusterCommands(registry, { clusters, connections, session: proxmoxSession, prompts, log, startDemoLab });
    l.registerKubernetesCommands({ registry, session: kubernetesSession, forwards: kubernetesForwards, applications: kubernetesApplications, prompts, log, yaml: kubernetesYaml, extensionUri: context.extensionUri, view: kubernetesView });
    l.registerJournalCommands(registry, { panels: panels().journal, prompts, log });
    l.registerTrackerCommands(registry, { panels: panels().tracker });
    l.registerDashboardCommands(registry, { panels: panels().dashboard });
    l.registerLifecycleCommands(registry, ops);
    l.registerTemplateCommands(registry, ops);
    l.registerCloneCommands(registry, ops);
    l.registerMigrateCommands(registry, ops);
    l.registerSnapshotCommands(registry, { ...ops, guestData });
    l.registerBackupCommands(registry, { ...ops, guestData });
    l.registerTaskCommands(registry, ops);
    l.registerShellCommands(registry, { ...ops, knownHostsPath });
    l.registerConsoleCommands(registry, ops);
    l.registerNotesTagsCommands(registry, { ...ops, notesUri });
    l.registerCloudInitCommands(registry, ops);
    l.registerClusterDeployCommands(registry, { ...ops, knownHostsPath, tuning: deployTuning });
    l.registerClusterManageCommands(registry, ops);
    l.registerK3sCommands(registry, {
      ...ops, knownHostsPath, secrets: context.secrets, storageDir: context.globalStorageUri.fsPath, kubernetes: kubernetesSession, bundledDir,
      storageManifestsDir: join(context.extensionPath, 'resources', 'k8s', 'storage'), kubeconfigs: k3sKubeconfigs, tuning: k3sTuning,
    });
    l.registerNodeCommands({ registry, session: kubernetesSession, prompts, log, tuning: k3sTuning });
    l.registerAppDeployCommand({ registry, session: kubernetesSession, prompts, log, terminals: operations.terminals, activity, extensionPath: context.extensionPath, tuning: appDeployTuning });
    l.registerDatabaseMigrationCommands({ registry, prompts, log, terminals, kubernetes: kubernetesSession, migrations });
    l.registerEjectCommand(registry, { prompts, bundledDir });
    l.registerBuildCommand(registry, build);
    l.registerUploadCommands(registry, ops);
    l.registerPipelineCommands(registry, { ...ops, build, pipeline });
  });

  // The operations catalog as language-model tools and as an MCP server VS Code can start (issue 15):
  // registered now where the API exists, the catalog loaded on the first call.
  let agentTools: AgentTools | undefined;
  const loadAgentTools = () => (agentTools ??= lazy().createAgentTools({
    clusters, connections, operations, activity, kubernetes: kubernetesSession, pipeline, log,
    lab: { pipeline: { ...ops, build, pipeline }, deploy: { ...ops, knownHostsPath, tuning: deployTuning } },
    extensionPath: context.extensionPath, storagePath: context.globalStorageUri.fsPath, version: String(context.extension.packageJSON.version),
  }));
  registerAgentTools(context, loadAgentTools);

  // First run: context keys that tick the walkthrough from real state and show views when they have content.
  const landing = new Landing({
    clusterCount: () => clusters.list().length,
    onDidChangeClusters: clusters.onDidChange,
    pipelineExists: async () => { const ws = workspaceDir(); return !!ws && vscode.workspace.fs.stat(vscode.Uri.file(join(ws, PIPELINE_STATE_FILE))).then(() => true, () => false); },
    onDidChangePipeline: pipelineTree.onDidChangeTreeData,
    kubeContexts: async () => (await kubernetesSession.kubeconfig()).contexts.map((c) => c.name),
  });
  context.subscriptions.push(landing);

  // `npm run demo` starts the simulator itself and hands its address to the extension host.
  const demo = process.env.HOMELAB_DEMO_CLUSTER;
  if (demo) void lazy().connectDemoLab({ clusters }, JSON.parse(demo) as DemoLab).catch((e) => log.error(`demo lab: ${e}`));
  if (demo && !context.workspaceState.get<boolean>('homelab.demoLandingShown')) {
    void context.workspaceState.update('homelab.demoLandingShown', true);
    void landing.showDemoLanding().catch((e) => log.error(`demo landing: ${e}`));
  }

  log.info(`Homelab ${context.extension.packageJSON.version} activated`);
  if (!hooks) return undefined;
  const { journal, tracker, dashboard } = panels();
  return testApi({
    registry, prompts, clusters, connections, proxmoxSession, proxmoxTree, proxmoxView, kubernetesTree, kubernetesView, kubernetesSession, kubernetesForwards, kubernetesApplications,
    operations, guestData, knownHostsPath, activity, journal, tracker, dashboard, deployTuning, k3sTuning, appDeployTuning, pipelineTree, nixDiagnostics, agentTools: loadAgentTools,
    guestNotes: notesFs, tagDecorations, guestDetails, logUri: context.logUri, storageUri: context.globalStorageUri, migrations,
  });
}

export function deactivate(): void {}
