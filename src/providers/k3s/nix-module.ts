// The per-node NixOS file the bootstrap writes (k3s-node.nix: this node's homelab.k3s settings,
// read by resources/nix/k3s.nix), and the one import line it adds to the node's configuration.
// Every value is validated by the plan first and still written as a quoted Nix string, so no
// value can end a string or start an antiquotation.
import { nixString } from '../nix/params';
import type { K3sPlan, PlannedK3sNode } from './plan';

export { nixString };

/** The node file's and the module's names, next to each other in the module directory. */
export const NODE_MODULE_FILE = 'k3s-node.nix';
export const K3S_MODULE_FILE = 'k3s.nix';
export const K3S_FLAGS_FILE = 'k3s-flags.nix';
/** Where the token lives on a node: outside /etc/nixos (often a git repository) and the store. */
export const DEFAULT_TOKEN_FILE = '/var/lib/homelab/k3s/token';
/** Marks the import Homelab added, so uninstall removes exactly it. */
export const IMPORT_MARKER = '/* homelab-k3s */';

const nixList = (items: readonly string[]) => (items.length ? `[ ${items.map(nixString).join(' ')} ]` : '[ ]');

/** Paths that appear in a module must be plain absolute paths (no quotes, spaces or `..`). */
export function checkNodePath(p: string): string | undefined {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(p) || p.split('/').includes('..')) return `"${p}" is not a plain absolute path (letters, digits, ".", "_", "-", "/").`;
  return undefined;
}

export interface NodeModuleOptions {
  /** Absolute path of the token file on the node. */
  tokenFile?: string;
}

/** The k3s-node.nix text for one planned node. */
export function k3sNodeModule(plan: K3sPlan, node: PlannedK3sNode, o: NodeModuleOptions = {}): string {
  const tokenFile = o.tokenFile ?? DEFAULT_TOKEN_FILE;
  const bad = checkNodePath(tokenFile);
  if (bad) throw new Error(`Token file: ${bad}`);
  if (!plan.nodes.includes(node)) throw new Error(`${node.name} is not a node of the plan for ${plan.cluster}.`);
  const server = node.k3sRole === 'server';
  const lines = [
    `# Written by Homelab: K3s settings of ${node.name} (cluster ${plan.cluster}).`,
    '# The next bootstrap rewrites this file; "Uninstall K3s" removes it and its import.',
    '# The cluster token is not here: it is the root-only file tokenFile names.',
    '{',
    `  imports = [ ./${K3S_MODULE_FILE} ];`,
    '  homelab.k3s = {',
    '    enable = true;',
    `    role = ${nixString(node.k3sRole)};`,
    `    channel = ${nixString(plan.channel)};`,
    `    clusterInit = ${node.clusterInit ? 'true' : 'false'};`,
    `    serverAddr = ${nixString(node.serverAddr)};`,
    `    tokenFile = ${nixString(tokenFile)};`,
    `    nodeName = ${nixString(node.name)};`,
    `    nodeIp = ${nixString(node.address)};`,
    `    tlsSans = ${nixList(server ? plan.tlsSans : [])};`,
    `    disable = ${nixList(server ? plan.disable : [])};`,
    `    clusterCidr = ${nixString(plan.clusterCidr)};`,
    `    serviceCidr = ${nixString(plan.serviceCidr)};`,
    `    apiPort = ${plan.apiPort};`,
    '  };',
    '}',
    '',
  ];
  return lines.join('\n');
}

/** The homelab.k3s values k3sNodeModule writes, as JSON (what `nix-instantiate --eval` gives back). */
export function nodeSettings(plan: K3sPlan, node: PlannedK3sNode, tokenFile = DEFAULT_TOKEN_FILE): Record<string, unknown> {
  const server = node.k3sRole === 'server';
  return {
    enable: true, role: node.k3sRole, channel: plan.channel, clusterInit: node.clusterInit, serverAddr: node.serverAddr,
    tokenFile, nodeName: node.name, nodeIp: node.address, tlsSans: server ? plan.tlsSans : [], disable: server ? plan.disable : [],
    clusterCidr: plan.clusterCidr, serviceCidr: plan.serviceCidr, apiPort: plan.apiPort,
  };
}

/** The k3s flags resources/nix/k3s-flags.nix derives from those settings (the same rules, for tests and display). */
export function expectedFlags(plan: K3sPlan, node: PlannedK3sNode): string[] {
  const f = ['--node-name', node.name, '--node-ip', node.address];
  if (node.k3sRole !== 'server') return f;
  f.push('--write-kubeconfig-mode', '0600');
  for (const s of plan.tlsSans) f.push('--tls-san', s);
  for (const d of plan.disable) f.push('--disable', d);
  f.push('--cluster-cidr', plan.clusterCidr, '--service-cidr', plan.serviceCidr);
  if (plan.apiPort !== 6443) f.push('--https-listen-port', String(plan.apiPort));
  return f;
}

export class ImportEditError extends Error {
  override name = 'ImportEditError';
}

/** The text the import adds right after the `[` of the imports list. */
export const importSnippet = (relPath: string) => ` ${relPath} ${IMPORT_MARKER}`;

/** True when the configuration already imports the file the way Homelab adds it. */
export function hasImport(text: string, relPath: string): boolean {
  return text.includes(importSnippet(relPath));
}

/**
 * Adds `relPath` to the first `imports = [` list of a NixOS configuration, on the same line as
 * the bracket, marked so that removeImport takes out exactly these bytes. A configuration
 * without an imports list is refused with what to add by hand.
 */
export function addImport(text: string, relPath: string, file: string): string {
  if (!/^\.\/[A-Za-z0-9._/-]+\.nix$/.test(relPath)) throw new ImportEditError(`"${relPath}" is not a relative .nix path.`);
  if (hasImport(text, relPath)) return text;
  // the first imports list that is not inside a line comment
  const re = /(^|[\s;{])imports\s*=\s*\[/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && text.slice(text.lastIndexOf('\n', m.index) + 1, m.index + m[0].length).includes('#'));
  if (!m) {
    throw new ImportEditError(`${file} has no "imports = [ ... ];" list Homelab can add to. Add ${relPath} to its imports by hand, then retry.`);
  }
  const at = m.index + m[0].length;
  return text.slice(0, at) + importSnippet(relPath) + text.slice(at);
}

/** Removes what addImport added (and nothing else); unchanged text when it is not there. */
export function removeImport(text: string, relPath: string): string {
  return text.split(importSnippet(relPath)).join('');
}
