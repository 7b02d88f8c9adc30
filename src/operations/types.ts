// The shape of one catalog entry and of the host it runs on. An operation is data (id, title, a
// description written for a model, an input JSON schema, its effect) plus `prepare`, which reads the
// current state, refuses what cannot work, builds the confirmation text, and returns the `run` that
// does it. The palette, the language-model tools and the MCP server all call the same entries.
import type { ProxmoxClient, TaskOutcome } from '../providers/proxmox';
import type { ActivityInput } from '../providers/markdown/activity';

export type Effect = 'readOnly' | 'sideEffect' | 'destructive';
export type Area = 'proxmox' | 'kubernetes' | 'journal' | 'tracker' | 'pipeline';

/** The JSON Schema subset the catalog uses (and `validateInput` checks). */
export interface JsonSchema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  enum?: Array<string | number>;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: JsonSchema;
  maxItems?: number;
  default?: unknown;
}

export interface Progress {
  report(message: string): void;
}

export interface OperationResult {
  /** Compact text a model can use: ids, names, states, one line per item. */
  text: string;
  /** The same facts as data (tests, structured MCP content). */
  data?: unknown;
}

export interface Prepared {
  /** Shown before a side effect: names the object and its current state. Undefined for read-only entries. */
  confirmation?: string;
  /** One more paragraph for a modal (what is lost, what happens next). */
  detail?: string;
  /** For the activity log. */
  cluster?: string;
  target?: string;
  run(progress: Progress, signal: AbortSignal): Promise<OperationResult>;
}

export interface Operation<I = Record<string, unknown>> {
  /** snake_case, unique, stable: the tool name. */
  id: string;
  title: string;
  /** Written for a model: what it does, when to use it, what it returns. */
  description: string;
  area: Area;
  effect: Effect;
  inputSchema: JsonSchema & { type: 'object' };
  /** The palette asks too, even when the user picked the object themselves (stop, delete, rollback). */
  alwaysConfirm?: boolean;
  /** Reads state, validates, and returns the confirmation and the work. Throws OperationRefused when it cannot work. */
  prepare(input: I, host: OperationHost): Promise<Prepared>;
}

/** The request cannot work in the current state (a running VM to delete, a template to start): nothing was sent. */
export class OperationRefused extends Error {
  override readonly name = 'OperationRefused';
}

/** A task ended in error; the message is the one a user reads (with the task's last lines). */
export class TaskFailed extends Error {
  override readonly name = 'TaskFailed';
  constructor(message: string, readonly outcome: TaskOutcome) {
    super(message);
  }
}

// ---- what the catalog runs on (the extension's services, or the MCP server's own) ----

export interface ClusterRef {
  id: string;
  name: string;
}

export interface ProxmoxAccess {
  clusters(): ClusterRef[];
  /** The pinned client of a cluster (the extension's Connections, or the MCP server's from its config file). */
  client(clusterId: string): Promise<ProxmoxClient>;
  /**
   * Follows a task to its end. In VS Code it is Operations.follow: the task's terminal, a
   * cancellable notification, the refresh of the tree. `signal` stops the task on the node.
   */
  followTask(clusterId: string, client: ProxmoxClient, upid: string, o: { vmName?: string; title: string; signal?: AbortSignal; progress?: Progress }): Promise<TaskOutcome>;
  /** Seconds a shutdown waits (homelab.proxmox.shutdownTimeout). */
  shutdownTimeout(): number;
  /** An operation changed the cluster outside a followed task (views refresh). */
  changed?(clusterId: string): Promise<void>;
}

export interface KubeContext {
  name: string;
  cluster?: string;
  namespace?: string;
  current: boolean;
}

export type KubernetesModules = typeof import('../providers/kubernetes');
export type KubeClient = import('../providers/kubernetes/client').KubeClient;

export interface KubernetesAccess {
  modules(): Promise<KubernetesModules>;
  contexts(): Promise<KubeContext[]>;
  client(context?: string): Promise<KubeClient>;
}

/** The journal folder: markdown entries, the activity log, the tracker (names relative to the folder). */
export interface JournalAccess {
  /** Markdown files of the folder, sorted. */
  list(): Promise<string[]>;
  /** The text of a file, undefined when it does not exist. */
  read(name: string): Promise<string | undefined>;
  /** Creates a new file; refuses an existing one (never overwrites the user's writing). */
  create(name: string, text: string): Promise<void>;
  /** Replaces a file written before (atomically), refusing when it changed since `before` was read. */
  replace(name: string, before: string, text: string): Promise<void>;
  /** Learning tracker files (names `read`/`replace` accept). */
  trackers?(): Promise<string[]>;
}

export interface OperationHost {
  proxmox?: ProxmoxAccess;
  /** The NixOS template pipeline's last or current run, and (inside VS Code) starting one. */
  pipeline?: PipelineAccess;
  /** Runs a cluster deploy plan (inside VS Code: the deploy terminal with its status table). */
  deploy?: DeployAccess;
  kubernetes?: KubernetesAccess;
  journal?: JournalAccess;
  /** Database migrations recorded in the workspace (homelab/migrations/). */
  migrations?: { list(): Promise<import('../providers/postgres/migration-state').MigrationState[]> };
  /** Appends a line to the journal's activity log; never throws. */
  activity(record: Omit<ActivityInput, 'when'>): Promise<void>;
}

export type PipelineState = import('../providers/nix/pipeline').PipelineState;

/** What a pipeline run would do, read without side effects (nothing is trusted, built or created). */
export interface PipelinePreview {
  /** The node the template is built on: the input, homelab.template.node, or the only online node. */
  node?: string;
  /** Online nodes, to name when `node` is undefined (several and none chosen). */
  nodes: string[];
  builder:
    | { kind: 'local'; where: string }
    | { kind: 'remote'; host: string; port: number; user: string; keyType?: string; fingerprint?: string; trusted: boolean; error?: string };
  /** The last run stopped at a step and can go on from there. */
  resumable?: { nextStep: string; completed: string[] };
}

export interface PipelineAccess {
  state(): Promise<PipelineState | undefined>;
  /** Reads settings, nodes, the builder and the build host's key (never trusting it). Undefined: cannot start a run here. */
  preview?(o: { clusterId: string; node?: string }): Promise<PipelinePreview>;
  /** Runs the pipeline as the palette does (terminal, Pipeline view); an unknown build host key is refused, never asked. */
  start?(o: { clusterId: string; node: string; resume: boolean; signal: AbortSignal; progress: Progress }): Promise<PipelineState>;
}

export type DeployPlan = import('../providers/cluster/plan').Plan;

export interface DeployAccess {
  /** Addresses in use besides the VMs' own (other clusters of the workspace, static ipconfigs). */
  takenAddresses?(clusterId: string, network: import('../providers/cluster/plan').NetworkPlan): Promise<Set<string>>;
  /** Runs the plan: clone, configure, start, address, SSH (new VMs' host keys asked of the user once, as the palette does). */
  apply(o: { clusterId: string; plan: DeployPlan; sshKeys: string[]; ciuser: string; signal: AbortSignal; progress: Progress }): Promise<{ status: string; files?: string[]; vms: Array<{ vmid: number; name: string; state: string; step: string; ip?: string; error?: string }> }>;
}
