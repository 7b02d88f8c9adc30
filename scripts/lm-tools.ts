// Writes the catalog's manifest entries: contributes.languageModelTools (one per catalog entry, its
// schema and model description as data), the `homelab` tool set, the MCP server definition provider,
// and their display strings into package.nls.json. Run after changing src/operations/:
//   npx tsx scripts/lm-tools.ts        (test/unit/operations/manifest.test.ts checks both agree)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../src/operations';

const root = join(__dirname, '..');
const pkgPath = join(root, 'package.json');
const nlsPath = join(root, 'package.nls.json');
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
const nls = JSON.parse(readFileSync(nlsPath, 'utf8')) as Record<string, string>;

for (const key of Object.keys(nls)) if (key.startsWith('lmTool.')) delete nls[key];
pkg.contributes.languageModelTools = CATALOG.map((op) => {
  nls[`lmTool.${op.id}.displayName`] = op.title;
  return {
    name: op.id,
    displayName: `%lmTool.${op.id}.displayName%`,
    toolReferenceName: op.id,
    canBeReferencedInPrompt: true,
    modelDescription: op.description,
    tags: ['homelab', op.area, op.effect],
    inputSchema: op.inputSchema,
  };
});
nls['lmToolSet.homelab.description'] = 'Homelab: Proxmox guests and tasks, Kubernetes workloads, the journal and the learning tracker';
pkg.contributes.languageModelToolSets = [{ name: 'homelab', description: '%lmToolSet.homelab.description%', tools: CATALOG.map((op) => op.id) }];
nls['mcpServerDefinitionProvider.mcp.label'] = 'Homelab';
pkg.contributes.mcpServerDefinitionProviders = [{ id: 'homelab.mcp', label: '%mcpServerDefinitionProvider.mcp.label%' }];

const sorted = Object.fromEntries(Object.entries(nls).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(nlsPath, JSON.stringify(sorted, null, 2) + '\n');
writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
console.log(`lm-tools: ${CATALOG.length} tools in package.json`);
