// `node dist/mcp.js --config <file> [--allow-write] [--allow-destroy]`: the Homelab MCP server on
// stdio. stdout carries the protocol only; logs and audit lines go to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ConfigError, loadConfig } from './config';
import { mcpHost } from './host';
import { createServer } from './server';

const USAGE = 'usage: node mcp.js --config <file.json> [--allow-write] [--allow-destroy]';

function parseArgs(argv: string[]): { config?: string; allowWrite: boolean; allowDestroy: boolean; help: boolean } {
  const out = { config: undefined as string | undefined, allowWrite: false, allowDestroy: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--config') out.config = argv[++i];
    else if (a.startsWith('--config=')) out.config = a.slice('--config='.length);
    else if (a === '--allow-write') out.allowWrite = true;
    else if (a === '--allow-destroy') out.allowDestroy = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new ConfigError(`unknown argument ${a}\n${USAGE}`);
  }
  return out;
}

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`[homelab-mcp] ${line}\n`);
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  if (!args.config) throw new ConfigError(`--config is required\n${USAGE}`);
  const cfg = loadConfig(args.config);
  const host = mcpHost(cfg, log);
  const server = createServer(host, { allowWrite: args.allowWrite, allowDestroy: args.allowDestroy, version: process.env.HOMELAB_VERSION ?? '0.1.0' });
  const transport = new StdioServerTransport();
  const stop = async () => {
    await server.close().catch(() => {});
    await host.close();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.on('SIGTERM', () => void stop());
  await server.connect(transport);
  log(`serving ${cfg.clusters.length} clusters${args.allowWrite ? ', writes allowed' : ', read-only'}${args.allowDestroy ? ', destructive allowed' : ''}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`[homelab-mcp] ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
