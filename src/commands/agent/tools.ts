// The catalog as VS Code language-model tools, and the MCP server as VS Code starts it. Loaded on
// first use (dist/lazy.js). Every side effect gets the catalog's confirmation in prepareInvocation
// (VS Code shows it before invoke); every call runs through the catalog's `invoke`, which checks
// the input, prepares, runs and appends the audit line.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { errorText, invoke, operation, useTranslator, validateInput } from '../../operations';
import { journalFolder, type ActivityLog } from '../../services/activity';
import type { KubernetesSession } from '../../services/kubernetes/session';
import { operationHost } from '../../services/operation-host';
import type { Operations } from '../../services/operations';
import type { PipelineRuns } from '../../services/pipeline';
import type { ClusterStore } from '../../services/proxmox/clusters';
import type { Connections } from '../../services/proxmox/connections';
import { settings } from '../../services/settings';
import { deployRunner, type ClusterDeployDeps } from '../cluster/deploy';
import { pipelineRunner, type PipelineDeps } from '../template/pipeline';

/** `vscode.McpStdioServerDefinition` (newer than the ^1.95 typings). */
export interface McpStdioDefinition {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string | number | null>;
  version?: string;
}
export interface McpServerDefinitionProvider {
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<McpStdioDefinition[]>;
  resolveMcpServerDefinition?(def: McpStdioDefinition, token: vscode.CancellationToken): vscode.ProviderResult<McpStdioDefinition>;
}

export interface AgentTools {
  prepareInvocation(name: string, options: vscode.LanguageModelToolInvocationPrepareOptions<unknown>, token: vscode.CancellationToken): Promise<vscode.PreparedToolInvocation>;
  invoke(name: string, options: vscode.LanguageModelToolInvocationOptions<unknown>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult>;
  mcpServerDefinitions(): McpStdioDefinition[];
  resolveMcpServerDefinition(def: McpStdioDefinition): Promise<McpStdioDefinition>;
}

export interface AgentToolsDeps {
  clusters: ClusterStore;
  connections: Connections;
  operations: Operations;
  activity: ActivityLog;
  kubernetes: KubernetesSession;
  pipeline: PipelineRuns;
  log: vscode.LogOutputChannel;
  extensionPath: string;
  storagePath: string;
  version: string;
  /** The template pipeline and the cluster deploy as their commands run them (pipeline_start, cluster_deploy_apply). */
  lab?: { pipeline: PipelineDeps; deploy: ClusterDeployDeps };
}

const signalOf = (token: vscode.CancellationToken) => {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  token.onCancellationRequested(() => ac.abort());
  return ac.signal;
};

const envName = (id: string) => `HOMELAB_SECRET_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export function createAgentTools(d: AgentToolsDeps): AgentTools {
  useTranslator(vscode.l10n.t);
  const host = operationHost({ ...d, pipelineRunner: d.lab && pipelineRunner(d.lab.pipeline), deploy: d.lab && deployRunner(d.lab.deploy) });
  const find = (name: string) => {
    const op = operation(name);
    if (!op) throw new Error(vscode.l10n.t('Homelab has no tool "{0}".', name));
    return op;
  };
  return {
    async prepareInvocation(name, options) {
      const op = find(name);
      const invocationMessage = vscode.l10n.t('{0}…', op.title);
      if (op.effect === 'readOnly') return { invocationMessage };
      // Every side effect confirms: with the catalog's text built from the current state, or, when
      // that cannot be built now (bad input, a refusal), with the tool and its input, so a later
      // invoke never runs unconfirmed.
      let title = op.title;
      let message: string;
      try {
        const prepared = await op.prepare(validateInput(op.inputSchema, options.input), host);
        message = [prepared.confirmation, prepared.detail].filter(Boolean).join('\n\n');
      } catch (e) {
        title = vscode.l10n.t('{0} (cannot be checked now)', op.title);
        message = vscode.l10n.t('{0} with {1}: {2}', op.id, JSON.stringify(options.input), errorText(e));
      }
      if (op.effect === 'destructive') message += '\n\n' + vscode.l10n.t('This cannot be undone.');
      // Plain text: names and ids as they are, no markdown from the lab's own strings.
      return { invocationMessage, confirmationMessages: { title, message } };
    },
    async invoke(name, options, token) {
      const op = find(name);
      const caller = options.toolInvocationToken ? 'VS Code chat' : 'VS Code tool';
      try {
        const r = await invoke(op, options.input, host, { caller, signal: signalOf(token) });
        const text = r.status === 'ok' ? r.result.text : vscode.l10n.t('Declined: nothing was changed.');
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
      } catch (e) {
        d.log.warn(`tool ${name}: ${errorText(e)}`);
        // The model reads the message: what went wrong, as the user would see it.
        throw new Error(`${op.id} failed: ${errorText(e)}`);
      }
    },
    mcpServerDefinitions() {
      const Def = (vscode as unknown as { McpStdioServerDefinition: new (label: string, command: string, args: string[], env: Record<string, string>, version?: string) => McpStdioDefinition }).McpStdioServerDefinition;
      // Electron's binary runs as Node with this variable; on code-server it is Node already.
      return [new Def('Homelab', process.execPath, [join(d.extensionPath, 'dist', 'mcp.js'), '--config', join(d.storagePath, 'mcp', 'config.json'), '--allow-write'], { ELECTRON_RUN_AS_NODE: '1' }, d.version)];
    },
    async resolveMcpServerDefinition(def) {
      // The config file holds no secret: each cluster's secret goes to the server's environment,
      // read from SecretStorage when VS Code starts the server.
      const env: Record<string, string> = { ELECTRON_RUN_AS_NODE: '1' };
      const clusters = [];
      for (const c of d.clusters.list()) {
        const auth = await d.clusters.auth(c).catch(() => undefined);
        if (!auth) continue;
        env[envName(c.id)] = auth.kind === 'token' ? auth.secret : auth.password;
        clusters.push({ id: c.id, name: c.name, url: c.url, fingerprint: c.fingerprint, caFile: c.caFile, ...(c.auth.kind === 'token' ? { tokenId: c.auth.tokenId } : { username: c.auth.username }), secretEnv: envName(c.id) });
      }
      const kube = await d.kubernetes.kubeconfig().catch(() => undefined);
      const journal = journalFolder();
      const file = join(d.storagePath, 'mcp', 'config.json');
      mkdirSync(join(d.storagePath, 'mcp'), { recursive: true });
      writeFileSync(file, JSON.stringify({ clusters, kubeconfig: kube?.files ?? [], workspace: vscode.workspace.workspaceFolders?.[0]?.uri.scheme === 'file' ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined, journal: journal?.scheme === 'file' ? journal.fsPath : undefined, shutdownTimeout: settings.get('proxmox.shutdownTimeout') }, null, 2), { mode: 0o600 });
      chmodSync(file, 0o600);
      def.env = { ...def.env, ...env };
      return def;
    },
  };
}
