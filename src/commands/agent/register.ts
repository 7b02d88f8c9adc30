// Registers the catalog as language-model tools and offers the MCP server to VS Code, both only
// where the running VS Code has the API (engines ^1.95: registerMcpServerDefinitionProvider came
// later). Activation stays cheap: names come from package.json, the implementation (the catalog,
// the providers) is loaded on the first prepareInvocation, invoke or server start.
import * as vscode from 'vscode';
import type { AgentTools, McpServerDefinitionProvider } from './tools';

interface Manifest {
  contributes?: { languageModelTools?: Array<{ name: string }>; mcpServerDefinitionProviders?: Array<{ id: string }> };
}

export function registerAgentTools(context: vscode.ExtensionContext, load: () => AgentTools): void {
  const manifest = context.extension.packageJSON as Manifest;
  const lm = (vscode as { lm?: Partial<typeof vscode.lm> }).lm;
  if (typeof lm?.registerTool === 'function') {
    for (const { name } of manifest.contributes?.languageModelTools ?? []) {
      context.subscriptions.push(lm.registerTool(name, {
        prepareInvocation: (options, token) => load().prepareInvocation(name, options, token),
        invoke: (options, token) => load().invoke(name, options, token),
      }));
    }
  }
  const register = (lm as { registerMcpServerDefinitionProvider?: (id: string, p: McpServerDefinitionProvider) => vscode.Disposable } | undefined)?.registerMcpServerDefinitionProvider;
  const id = manifest.contributes?.mcpServerDefinitionProviders?.[0]?.id;
  if (typeof register === 'function' && id && typeof (vscode as { McpStdioServerDefinition?: unknown }).McpStdioServerDefinition === 'function') {
    context.subscriptions.push(register(id, {
      provideMcpServerDefinitions: () => load().mcpServerDefinitions(),
      resolveMcpServerDefinition: (def) => load().resolveMcpServerDefinition(def),
    }));
  }
}
