// The standalone MCP server's configuration: clusters from a JSON file (no secrets in it), each
// secret from an environment variable or a file only its owner can read (0600), and the same trust
// rule as the extension: a pinned SHA-256 fingerprint or a CA file, never verification off.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseClusterUrl, validateFingerprint, validateTokenId, type ProxmoxAuth } from '../providers/proxmox';

export interface McpClusterConfig {
  id: string;
  name: string;
  url: string;
  fingerprint?: string;
  caFile?: string;
  /** API token id (user@realm!name); or `username` for a ticket login. */
  tokenId?: string;
  username?: string;
  /** Name of the environment variable holding the token secret or password. */
  secretEnv?: string;
  /** A file holding it (mode 0600 or stricter). */
  secretFile?: string;
}

export interface McpConfig {
  clusters: McpClusterConfig[];
  /** kubeconfig files; none: Kubernetes tools answer that nothing is configured. */
  kubeconfig: string[];
  /** The journal folder (activity.md, entries); none: audit lines go to stderr only. */
  journal?: string;
  /** Learning tracker files. */
  trackers: string[];
  /** The workspace whose NixOS template pipeline state (homelab/pipeline/nixos-template.json) is read. */
  workspace?: string;
  shutdownTimeout: number;
  requestTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || !v.trim()) throw new ConfigError(`${what} must be a non-empty string`);
  return v;
};

export function parseConfig(text: string, file: string): McpConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const base = dirname(file);
  const path = (p: string) => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : isAbsolute(p) ? p : resolve(base, p));
  const list = Array.isArray(raw.clusters) ? raw.clusters : raw.clusters === undefined ? [] : undefined;
  if (!list) throw new ConfigError('clusters must be an array');
  const clusters = list.map((c: Record<string, unknown>, i: number): McpClusterConfig => {
    const at = `clusters[${i}]`;
    const id = str(c.id, `${at}.id`);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new ConfigError(`${at}.id "${id}" must be lowercase letters, digits and "-"`);
    const url = str(c.url, `${at}.url`);
    try {
      parseClusterUrl(url);
    } catch (e) {
      throw new ConfigError(`${at}.url: ${(e as Error).message}`);
    }
    const out: McpClusterConfig = { id, name: typeof c.name === 'string' && c.name ? c.name : id, url };
    if (c.fingerprint !== undefined) {
      const bad = validateFingerprint(str(c.fingerprint, `${at}.fingerprint`));
      if (bad) throw new ConfigError(`${at}.fingerprint: ${bad}`);
      out.fingerprint = c.fingerprint as string;
    }
    if (c.caFile !== undefined) out.caFile = path(str(c.caFile, `${at}.caFile`));
    if (!out.fingerprint && !out.caFile) throw new ConfigError(`${at} (${id}) has neither "fingerprint" nor "caFile": the server's certificate must be pinned.`);
    if (c.tokenId !== undefined) {
      const bad = validateTokenId(str(c.tokenId, `${at}.tokenId`));
      if (bad) throw new ConfigError(`${at}.tokenId: ${bad}`);
      out.tokenId = c.tokenId as string;
    } else out.username = str(c.username, `${at}.tokenId or ${at}.username`);
    if (c.secret !== undefined || c.password !== undefined || c.tokenSecret !== undefined) {
      throw new ConfigError(`${at}: secrets do not belong in the config file; use "secretEnv" (an environment variable) or "secretFile" (a 0600 file).`);
    }
    if (c.secretEnv !== undefined) out.secretEnv = str(c.secretEnv, `${at}.secretEnv`);
    if (c.secretFile !== undefined) out.secretFile = path(str(c.secretFile, `${at}.secretFile`));
    if (!out.secretEnv && !out.secretFile) throw new ConfigError(`${at} (${id}) needs "secretEnv" or "secretFile".`);
    return out;
  });
  const ids = new Set<string>();
  for (const c of clusters) {
    if (ids.has(c.id)) throw new ConfigError(`cluster id "${c.id}" appears twice`);
    ids.add(c.id);
  }
  const strings = (v: unknown, what: string) => (v === undefined ? [] : Array.isArray(v) ? v.map((x, i) => path(str(x, `${what}[${i}]`))) : [path(str(v, what))]);
  return {
    clusters,
    kubeconfig: strings(raw.kubeconfig, 'kubeconfig'),
    journal: raw.journal === undefined ? undefined : path(str(raw.journal, 'journal')),
    trackers: strings(raw.trackers, 'trackers'),
    workspace: raw.workspace === undefined ? undefined : path(str(raw.workspace, 'workspace')),
    shutdownTimeout: typeof raw.shutdownTimeout === 'number' && raw.shutdownTimeout > 0 ? raw.shutdownTimeout : 180,
    requestTimeoutMs: typeof raw.requestTimeoutSeconds === 'number' && raw.requestTimeoutSeconds > 0 ? raw.requestTimeoutSeconds * 1000 : 15_000,
  };
}

export function loadConfig(file: string): McpConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read the config file ${file}: ${(e as Error).message}`);
  }
  return parseConfig(text, resolve(file));
}

/** The cluster's secret: from its environment variable, else its file, refused when others may read the file. */
export function readSecret(c: McpClusterConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (c.secretEnv) {
    const v = env[c.secretEnv];
    if (v) return v.trim();
    if (!c.secretFile) throw new ConfigError(`The environment variable ${c.secretEnv} (secret of cluster ${c.id}) is not set.`);
  }
  const file = c.secretFile!;
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (e) {
    throw new ConfigError(`Cannot read the secret file of cluster ${c.id} (${file}): ${(e as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ConfigError(`The secret file ${file} of cluster ${c.id} can be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it.`);
  }
  const v = readFileSync(file, 'utf8').trim();
  if (!v) throw new ConfigError(`The secret file ${file} of cluster ${c.id} is empty.`);
  return v;
}

export function authOf(c: McpClusterConfig, secret: string): ProxmoxAuth {
  return c.tokenId ? { kind: 'token', tokenId: c.tokenId, secret } : { kind: 'ticket', username: c.username!, password: secret };
}
