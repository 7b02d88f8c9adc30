// The operations catalog (issue 15): plain Node, no vscode, shared by the palette, the
// language-model tools and the MCP server (src/mcp/).
export { CATALOG, operation, invoke, auditInput, errorText, type InvokeOptions, type InvokeOutcome } from './catalog';
export { validateInput, InvalidInput } from './schema';
export { useTranslator } from './l10n';
export * from './types';
export { power, deleteGuestOp } from './proxmox';
