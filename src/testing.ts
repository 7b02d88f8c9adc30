// The test-only channel. In production `activate()` exports nothing: any installed extension can read
// another's exports, and these objects read secrets (clusters, connections) and pre-answer modal
// dialogs (prompts). Only an extension host started by our test harness gets them.
import type * as vscode from 'vscode';
import type { AgentTools } from './commands/agent/tools';
import type { DeployTuning } from './commands/cluster/deploy';
import type { K3sTuning } from './commands/k3s/target';
import type { AppDeployTuning } from './commands/apps/deploy';
import type { Prompts } from './commands/prompts';
import type { Operations } from './services/operations';
import type { CommandRegistry } from './commands/registry';
import type { ActivityLog } from './services/activity';
import type { ClusterStore } from './services/proxmox/clusters';
import type { Connections } from './services/proxmox/connections';
import type { GuestData } from './services/proxmox/guest-data';
import type { ProxmoxSession } from './services/proxmox/session';
import type { KubernetesSession, PortForwards } from './services/kubernetes';
import type { Applications } from './services/kubernetes/applications';
import type { DashboardPanels } from './views/dashboard/panel';
import type { JournalPanels } from './views/journal/panel';
import type { KubeElement, KubernetesTreeProvider } from './views/kubernetes/tree';
import type { PipelineTreeProvider } from './views/pipeline/tree';
import type { ProxmoxTreeProvider } from './views/proxmox/tree';
import type { TrackerPanels } from './views/tracker/panel';
import type { NotesFileSystem } from './views/proxmox/notes-fs';
import type { TagDecorations } from './views/proxmox/tag-decorations';
import type { GuestDetails } from './services/proxmox/guest-details';
import type { Migrations } from './services/migrations';

/** Set to "1" by the harness (scripts/lib/exthost.mjs) in the extension host's environment. */
export const TEST_HOOKS_ENV = 'HOMELAB_TEST_HOOKS';

/** `vscode.ExtensionMode.Test` (a const enum value here, so this module loads without `vscode`). */
const EXTENSION_MODE_TEST = 3 satisfies vscode.ExtensionMode.Test;

/**
 * Whether this activation may export test hooks: the host runs extension tests (VS Code sets the
 * mode; another extension cannot) AND the harness asked for the hooks. The environment alone is not
 * enough, since every extension in the host shares `process.env` and could set it before we activate.
 */
export function testHooksEnabled(mode: vscode.ExtensionMode | undefined, env: NodeJS.ProcessEnv): boolean {
  return mode === EXTENSION_MODE_TEST && env[TEST_HOOKS_ENV] === '1';
}

/** What extension-host tests reach through `extensions.getExtension(...).exports` (never production). */
export interface HomelabApi {
  readonly registry: CommandRegistry;
  readonly prompts: Prompts;
  readonly clusters: ClusterStore;
  readonly proxmoxTree: ProxmoxTreeProvider;
  readonly proxmoxView: vscode.TreeView<unknown>;
  /** Task and SSH terminals and the tasks being followed (tests, benchmarks). */
  readonly operations: Operations;
  /** Snapshots, backups and backup jobs as read for the tree and the commands. */
  readonly guestData: GuestData;
  /** The known-hosts file of SSH shells. */
  readonly knownHostsPath: string;
  /** Long operations append a line here (journal/activity.md). */
  readonly activity: ActivityLog;
  readonly journal: JournalPanels;
  readonly tracker: TrackerPanels;
  readonly dashboard: DashboardPanels;
  /** Cluster deploy knobs (tests map VMs to a loopback sshd and shorten timeouts). */
  readonly deployTuning: DeployTuning;
  /** K3s knobs (tests map nodes to stand-in sshds and their roots, shorten timeouts). */
  readonly k3sTuning: K3sTuning;
  /** Deploy Application knobs (tests shorten the rollout and health waits). */
  readonly appDeployTuning: AppDeployTuning;
  /** The extension's log folder (the token scan reads every log file of the host next to it). */
  readonly logUri: vscode.Uri;
  /** Where the extension keeps its own files (known_hosts, kubeconfigs). */
  readonly storageUri: vscode.Uri;
  readonly kubernetesTree: KubernetesTreeProvider;
  readonly kubernetesView: vscode.TreeView<KubeElement>;
  /** Kubernetes kubeconfig, clients and watches (no UI). */
  readonly kubernetesSession: KubernetesSession;
  /** Live Kubernetes port-forwards. */
  readonly kubernetesForwards: PortForwards;
  /** Applications (part-of groups) over the session's watches. */
  readonly kubernetesApplications: Applications;
  /** Pinned Proxmox clients per cluster (tests wrap one to inject a failure at a pipeline step). */
  readonly connections: Connections;
  /** Clusters, connections and the inventory cache with its refresh policy. */
  readonly proxmoxSession: ProxmoxSession;
  /** The Pipeline view (tests read its rows). */
  readonly pipelineTree: PipelineTreeProvider;
  /** Problems of the NixOS files found by nix-instantiate. */
  readonly nixDiagnostics: vscode.DiagnosticCollection;
  /** The `homelab-notes:` editor tabs (refused saves, compare, reload). */
  readonly guestNotes: NotesFileSystem;
  /** Tag colours of guest rows. */
  readonly tagDecorations: TagDecorations;
  /** Notes and tag styles the tree shows. */
  readonly guestDetails: GuestDetails;
  /** The language-model tools' implementation (tests read prepareInvocation's confirmations). */
  readonly agentTools: () => AgentTools;
  /** Database migrations: recorded states, runs, and the knobs tests set (`tuning`). */
  readonly migrations: Migrations;
}

/** The test API: one object built in one place, so new fields are added here and in HomelabApi only. */
export function testApi(parts: HomelabApi): HomelabApi {
  return Object.freeze({ ...parts });
}

