// The MCP server over the operations catalog: the same entries as the VS Code language-model
// tools, as MCP tools (annotations say which are read-only and destructive), the Proxmox inventory
// as resources. Writes need --allow-write, destructive entries --allow-destroy; a client that
// supports elicitation is asked before each side effect. Bad input is an InvalidParams error that
// names the field; everything else a tool result the model can read (isError for failures).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema, ErrorCode, ListResourcesRequestSchema, ListToolsRequestSchema, McpError, ReadResourceRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { auditInput, CATALOG, errorText, invoke, operation, validateInput, InvalidInput, type Operation, type OperationHost, type Prepared } from '../operations';

export interface ServerOptions {
  allowWrite: boolean;
  allowDestroy: boolean;
  version: string;
}

const RESOURCE = /^homelab:\/\/proxmox\/([^/]+)\/inventory$/;

export function allowed(op: Operation<any>, o: ServerOptions): string | undefined {
  if (op.effect === 'destructive' && !o.allowDestroy) return `${op.id} is destructive: this server was started without --allow-destroy, so it refuses it. Nothing was changed.`;
  if (op.effect !== 'readOnly' && !o.allowWrite && !o.allowDestroy) return `${op.id} changes the lab: this server is read-only (started without --allow-write). Nothing was changed.`;
  return undefined;
}

export function createServer(host: OperationHost, o: ServerOptions): Server {
  const server = new Server({ name: 'homelab', version: o.version }, { capabilities: { tools: {}, resources: {} } });
  const caller = () => {
    const v = server.getClientVersion();
    return `MCP ${v ? `${v.name} ${v.version}` : 'client'}`;
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: CATALOG.map((op) => ({
      name: op.id,
      title: op.title,
      description: op.description + (allowed(op, o) ? ' (Refused by this server: it was started without the flag that allows it.)' : ''),
      inputSchema: op.inputSchema as { type: 'object'; [k: string]: unknown },
      annotations: { title: op.title, readOnlyHint: op.effect === 'readOnly', destructiveHint: op.effect === 'destructive', idempotentHint: op.effect === 'readOnly', openWorldHint: false },
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const op = operation(req.params.name);
    if (!op) throw new McpError(ErrorCode.InvalidParams, `Unknown tool "${req.params.name}".`);
    try {
      validateInput(op.inputSchema, req.params.arguments ?? {});
    } catch (e) {
      if (e instanceof InvalidInput) {
        await host.activity({ what: `${caller()} · ${op.id}`, durationMs: 0, result: `invalid input: ${e.message}` });
        throw new McpError(ErrorCode.InvalidParams, `Invalid input for ${op.id}: ${e.message}`, { field: e.field });
      }
      throw e;
    }
    const refused = allowed(op, o);
    if (refused) {
      await host.activity({ what: `${caller()} · ${op.id}`, target: auditInput((req.params.arguments ?? {}) as Record<string, unknown>), durationMs: 0, result: 'refused: not allowed by the server flags' });
      return { content: [{ type: 'text', text: refused }], isError: true };
    }
    const token = req.params._meta?.progressToken;
    let step = 0;
    const progress = {
      report: (message: string) => {
        if (token === undefined) return;
        void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ++step, message } }).catch(() => {});
      },
    };
    const elicit = server.getClientCapabilities()?.elicitation;
    const confirm = elicit
      ? async (prepared: Prepared) => {
        const answer = await server.elicitInput({
          mode: 'form',
          message: `${prepared.confirmation ?? op.title}${prepared.detail ? `\n\n${prepared.detail}` : ''}`,
          requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean', title: 'Go ahead', description: prepared.confirmation ?? op.title } }, required: ['confirm'] },
        });
        return answer.action === 'accept' && answer.content?.confirm === true;
      }
      : undefined;
    try {
      const r = await invoke(op, req.params.arguments ?? {}, host, { caller: caller(), confirm, progress, signal: extra.signal });
      if (r.status === 'declined') return { content: [{ type: 'text', text: `Declined by the user: ${op.id} did not run. Nothing was changed.` }], isError: true };
      return { content: [{ type: 'text', text: r.result.text }] };
    } catch (e) {
      if (e instanceof InvalidInput) throw new McpError(ErrorCode.InvalidParams, `Invalid input for ${op.id}: ${e.message}`, { field: e.field });
      return { content: [{ type: 'text', text: `${op.id} failed: ${errorText(e)}` }], isError: true };
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: (host.proxmox?.clusters() ?? []).map((c) => ({
      uri: `homelab://proxmox/${encodeURIComponent(c.id)}/inventory`,
      name: `${c.name} inventory`,
      description: `Nodes and guests of Proxmox cluster ${c.name}`,
      mimeType: 'text/plain',
    })),
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const m = RESOURCE.exec(req.params.uri);
    if (!m) throw new McpError(ErrorCode.InvalidParams, `Unknown resource ${req.params.uri}`);
    const op = operation('proxmox_inventory')!;
    try {
      const prepared = await op.prepare({ cluster: decodeURIComponent(m[1]) }, host);
      const r = await prepared.run({ report: () => {} }, new AbortController().signal);
      return { contents: [{ uri: req.params.uri, mimeType: 'text/plain', text: r.text }] };
    } catch (e) {
      throw new McpError(ErrorCode.InvalidParams, errorText(e));
    }
  });

  return server;
}
