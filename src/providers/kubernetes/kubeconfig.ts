// Kubeconfig loading the way kubectl does it: the KUBECONFIG list merged (first file to define a
// name wins, first current-context wins), else ~/.kube/config. Each file is loaded on its own into
// a client-node KubeConfig (loadFromString) and then merged, so one broken file never hides the
// others; problems are also kept per context.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, constants as fsConstants, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { assertName } from '../names';
import { KubeError } from './errors';
import { k8s, type K8s } from './lib';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): unknown } = require('js-yaml');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ExecPluginSpec {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: string;
  installHint?: string;
  /** Directory relative commands are resolved against (the kubeconfig's). */
  cwd: string;
}

/** Everything needed to talk to one Kubernetes cluster as one user. */
export interface ClusterConnection {
  context: string;
  server: string;
  namespace: string;
  caPem?: string;
  token?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  username?: string;
  password?: string;
  exec?: ExecPluginSpec;
}

export interface KubeContextInfo {
  name: string;
  /** File the context came from. */
  file: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  /** Why this context cannot be used (found at load time), if it cannot. */
  error?: KubeError;
}

export interface KubeconfigFileProblem { file: string; message: string }

export interface Kubeconfig {
  /** Files in precedence order (as listed, including missing ones). */
  files: string[];
  currentContext?: string;
  contexts: KubeContextInfo[];
  /** Files that could not be read or parsed; their contexts are absent, others still load. */
  fileProblems: KubeconfigFileProblem[];
  /** Raw merged entries, with the file each came from (for relative paths). */
  clusters: Map<string, { file: string; data: Obj }>;
  users: Map<string, { file: string; data: Obj }>;
  rawContexts: Map<string, { file: string; data: Obj }>;
  /**
   * The merged client-node KubeConfig (paths made absolute per file), built on first use: listing
   * the contexts (the first render of the view) does not load client-node.
   */
  readonly kubeConfig: K8s.KubeConfig;
}

export function kubeconfigPaths(env: NodeJS.ProcessEnv = process.env, home = homedir()): string[] {
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p.trim() !== '');
  return list.length ? [...new Set(list)] : [join(home, '.kube', 'config')];
}

export function loadKubeconfig(opts: { paths?: string[]; env?: NodeJS.ProcessEnv; home?: string } = {}): Kubeconfig {
  const files = opts.paths ?? kubeconfigPaths(opts.env, opts.home);
  /** The files whose text is a mapping, for the KubeConfig built on first use. */
  const texts: { file: string; text: string }[] = [];
  let merged: K8s.KubeConfig | undefined;
  const cfg: Kubeconfig = {
    files, contexts: [], fileProblems: [], clusters: new Map(), users: new Map(), rawContexts: new Map(),
    get kubeConfig() { return (merged ??= mergeKubeConfigs(texts, cfg.currentContext)); },
  };
  for (const file of files) {
    if (!existsSync(file)) { cfg.fileProblems.push({ file, message: `Kubeconfig file ${file} does not exist.` }); continue; }
    let doc: unknown;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      if (text.trim() === '') continue; // empty file: nothing to merge
      doc = yaml.load(text);
    } catch (e) {
      cfg.fileProblems.push({ file, message: `Kubeconfig file ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}. Fix or remove it; contexts from other files still work.` });
      continue;
    }
    if (doc === undefined || doc === null) continue;
    if (!isObj(doc)) { cfg.fileProblems.push({ file, message: `Kubeconfig file ${file} is not a kubeconfig (expected a mapping with clusters, users and contexts).` }); continue; }
    texts.push({ file, text });
    const merge = (key: string, inner: string, into: Map<string, { file: string; data: Obj }>) => {
      const arr = doc[key];
      if (arr === undefined || arr === null) return;
      if (!Array.isArray(arr)) { cfg.fileProblems.push({ file, message: `Kubeconfig file ${file}: "${key}" must be a list.` }); return; }
      for (const e of arr) {
        if (!isObj(e) || typeof e.name !== 'string') continue;
        if (!into.has(e.name)) into.set(e.name, { file, data: isObj(e[inner]) ? e[inner] as Obj : {} });
      }
    };
    merge('clusters', 'cluster', cfg.clusters);
    merge('users', 'user', cfg.users);
    merge('contexts', 'context', cfg.rawContexts);
    if (cfg.currentContext === undefined && typeof doc['current-context'] === 'string' && doc['current-context']) cfg.currentContext = doc['current-context'];
  }
  for (const [name, { file, data }] of cfg.rawContexts) {
    const info: KubeContextInfo = { name, file, cluster: str(data.cluster), user: str(data.user), namespace: str(data.namespace) };
    info.server = info.cluster ? str(cfg.clusters.get(info.cluster)?.data.server) : undefined;
    info.error = staticProblem(cfg, info);
    cfg.contexts.push(info);
  }
  return cfg;
}

/** client-node's view of the files, merged as kubectl does: the first definition of a name wins. */
function mergeKubeConfigs(texts: { file: string; text: string }[], currentContext: string | undefined): K8s.KubeConfig {
  const lib = k8s();
  const kubeConfig = new lib.KubeConfig();
  for (const { file, text } of texts) {
    const one = new lib.KubeConfig();
    try {
      // invalid entries are dropped here; the raw checks (staticProblem) say what is wrong with them
      one.loadFromString(text, { onInvalidEntry: 'filter' });
      one.makePathsAbsolute(dirname(file));
    } catch {
      continue;
    }
    // KubeConfig.mergeConfig throws on duplicate names; kubectl lets the first definition win
    for (const c of one.getClusters()) if (!kubeConfig.getCluster(c.name)) kubeConfig.addCluster(c);
    for (const u of one.getUsers()) if (!kubeConfig.getUser(u.name)) kubeConfig.addUser(u);
    for (const c of one.getContexts()) if (!kubeConfig.getContextObject(c.name)) kubeConfig.addContext(c);
  }
  if (currentContext && kubeConfig.getContextObject(currentContext)) kubeConfig.setCurrentContext(currentContext);
  return kubeConfig;
}

function str(v: unknown): string | undefined { return typeof v === 'string' && v ? v : undefined; }

function refPath(file: string, p: string): string { return isAbsolute(p) ? p : resolve(dirname(file), p); }

/** Problems visible without contacting anything: missing cluster/user entries, missing files. */
function staticProblem(cfg: Kubeconfig, c: KubeContextInfo): KubeError | undefined {
  const err = (m: string) => new KubeError('config', `Context "${c.name}" (${c.file}): ${m}`);
  if (!c.cluster) return err('it names no cluster.');
  const cluster = cfg.clusters.get(c.cluster);
  if (!cluster) return err(`cluster "${c.cluster}" is not defined in any kubeconfig file.`);
  if (!str(cluster.data.server)) return err(`cluster "${c.cluster}" has no server address.`);
  if (cluster.data['insecure-skip-tls-verify'] === true && !cluster.data['certificate-authority-data'] && !cluster.data['certificate-authority']) {
    return err(`cluster "${c.cluster}" turns TLS verification off (insecure-skip-tls-verify); Homelab requires the cluster's CA. Add certificate-authority-data (on K3s it is in /etc/rancher/k3s/k3s.yaml).`);
  }
  const ca = str(cluster.data['certificate-authority']);
  if (ca && !existsSync(refPath(cluster.file, ca))) return err(`certificate-authority file ${refPath(cluster.file, ca)} does not exist.`);
  if (!c.user) return undefined; // anonymous is allowed (the server decides)
  const user = cfg.users.get(c.user);
  if (!user) return err(`user "${c.user}" is not defined in any kubeconfig file.`);
  for (const key of ['client-certificate', 'client-key', 'tokenFile', 'token-file']) {
    const p = str(user.data[key]);
    if (p && !existsSync(refPath(user.file, p))) return err(`${key} file ${refPath(user.file, p)} (user "${c.user}") does not exist.`);
  }
  if (isObj(user.data['auth-provider'])) return err(`user "${c.user}" uses a legacy auth-provider, which Homelab does not support; use an exec credential plugin.`);
  const exec = user.data.exec;
  if (exec !== undefined && (!isObj(exec) || !str(exec.command))) return err(`user "${c.user}" has an exec credential plugin without a command.`);
  return undefined;
}

function readRef(path: string, what: string, ctx: string): string {
  try { return readFileSync(path, 'utf8'); } catch (e) {
    throw new KubeError('config', `Context "${ctx}": cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}

const fromB64 = (v: string | undefined | null) => (v ? Buffer.from(v, 'base64').toString('utf8') : undefined);

/** The connection for a context (default: current), without running credential plugins yet. */
export function connectionFor(cfg: Kubeconfig, name = cfg.currentContext): ClusterConnection {
  if (!name) throw new KubeError('config', `No current context is set in ${cfg.files.join(', ')}. Choose a context.`);
  const info = cfg.contexts.find((c) => c.name === name);
  if (!info) {
    const broken = cfg.fileProblems.map((p) => p.message).join(' ');
    throw new KubeError('config', `Context "${name}" is not defined in ${cfg.files.join(', ')}.${broken ? ' ' + broken : ''}`);
  }
  if (info.error) throw info.error;
  const kc = cfg.kubeConfig;
  const ctx = kc.getContextObject(name);
  const cluster = ctx && kc.getCluster(ctx.cluster);
  if (!ctx || !cluster) throw new KubeError('config', `Context "${name}" (${info.file}): cluster "${info.cluster}" is not usable.`);
  const conn: ClusterConnection = { context: name, server: cluster.server.replace(/\/+$/, ''), namespace: ctx.namespace || 'default' };
  conn.caPem = fromB64(cluster.caData) ?? (cluster.caFile ? readRef(cluster.caFile, 'certificate-authority', name) : undefined);
  if (ctx.user) {
    const user: K8s.User | null = kc.getUser(ctx.user);
    const raw = cfg.users.get(ctx.user);
    if (!user || !raw) throw new KubeError('config', `Context "${name}" (${info.file}): user "${ctx.user}" is not usable.`);
    const tokenFile = str(raw.data.tokenFile);
    conn.token = str(user.token)?.trim() ?? (tokenFile ? readRef(refPath(raw.file, tokenFile), 'tokenFile', name).trim() : undefined);
    conn.clientCertPem = fromB64(user.certData) ?? (user.certFile ? readRef(user.certFile, 'client-certificate', name) : undefined);
    conn.clientKeyPem = fromB64(user.keyData) ?? (user.keyFile ? readRef(user.keyFile, 'client-key', name) : undefined);
    conn.username = str(user.username); conn.password = str(user.password);
    const e: unknown = user.exec;
    if (isObj(e)) {
      conn.exec = {
        command: String(e.command), args: Array.isArray(e.args) ? e.args.map(String) : [],
        env: Array.isArray(e.env) ? e.env.filter(isObj).map((x) => ({ name: String(x.name), value: String(x.value) })) : [],
        apiVersion: str(e.apiVersion) ?? 'client.authentication.k8s.io/v1', installHint: str(e.installHint), cwd: dirname(raw.file),
      };
    }
    if (!!conn.clientCertPem !== !!conn.clientKeyPem) throw new KubeError('config', `Context "${name}": user "${ctx.user}" has a client certificate without its key (or the reverse).`);
  }
  return conn;
}

export interface ExecCredential { token?: string; clientCertPem?: string; clientKeyPem?: string; expiresAt?: number }

/** Runs an exec credential plugin (client.authentication.k8s.io) and returns its credential. */
export function runExecPlugin(spec: ExecPluginSpec, context: string, timeoutMs = 30_000): Promise<ExecCredential> {
  return new Promise((resolvePromise, reject) => {
    const fail = (m: string) => reject(new KubeError('config', `The credential plugin "${spec.command}" of context "${context}" failed: ${m}`));
    const env = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: spec.apiVersion, kind: 'ExecCredential', spec: { interactive: false } }) } as NodeJS.ProcessEnv;
    for (const e of spec.env) env[e.name] = e.value;
    const cmd = spec.command.includes('/') && !isAbsolute(spec.command) ? resolve(spec.cwd, spec.command) : spec.command;
    const child = spawn(cmd, spec.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = ''; let errText = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(`no answer within ${timeoutMs / 1000} s.`); }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { errText += d.toString('utf8'); });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(e.code === 'ENOENT' ? `command not found.${spec.installHint ? ' ' + spec.installHint : ' Install it or fix the path in the kubeconfig.'}` : e.message);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) { fail(`exit code ${code}${errText.trim() ? ': ' + errText.trim().split('\n').slice(-1)[0].slice(0, 300) : ''}.`); return; }
      let cred: unknown;
      try { cred = JSON.parse(out); } catch { fail('its output is not an ExecCredential JSON document.'); return; }
      const st = isObj(cred) && isObj(cred.status) ? cred.status : undefined;
      if (!st || (!str(st.token) && !str(st.clientCertificateData))) { fail('its ExecCredential has no status.token or status.clientCertificateData.'); return; }
      const exp = str(st.expirationTimestamp) ? Date.parse(String(st.expirationTimestamp)) : undefined;
      resolvePromise({ token: str(st.token), clientCertPem: str(st.clientCertificateData), clientKeyPem: str(st.clientKeyData), expiresAt: Number.isFinite(exp) ? exp : undefined });
    });
  });
}

/**
 * Switches the current context. Like kubectl, writes to the first file that sets current-context
 * (else the first existing file), and changes only that one line so comments and layout survive.
 */
export function setCurrentContext(cfg: Kubeconfig, name: string): string {
  if (!cfg.contexts.some((c) => c.name === name)) throw new KubeError('config', `Context "${name}" is not defined in ${cfg.files.join(', ')}.`);
  const existing = cfg.files.filter((f) => existsSync(f));
  const target = existing.find((f) => /^current-context:/m.test(readFileSync(f, 'utf8'))) ?? existing[0];
  if (!target) throw new KubeError('config', 'No kubeconfig file exists to write the current context to.');
  const text = readFileSync(target, 'utf8');
  const line = `current-context: ${JSON.stringify(name)}`;
  const next = /^current-context:.*$/m.test(text) ? text.replace(/^current-context:.*$/m, line) : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${line}\n`;
  rewriteKubeconfig(target, next);
  cfg.currentContext = name;
  return target;
}

/** Suffix of the copy kept of a kubeconfig before Homelab first rewrites it. */
export const KUBECONFIG_BACKUP_SUFFIX = '.homelab-backup';

/**
 * Replaces a kubeconfig (it holds credentials other tools rely on) so it is never half written:
 * a temp sibling with the file's own mode, flushed, then renamed over it. A symlinked kubeconfig is
 * written where the link points, and the link stays. Before the first rewrite a copy is kept
 * next to it (`config.homelab-backup`); later rewrites keep that first copy.
 */
export function rewriteKubeconfig(file: string, text: string): void {
  const real = realpathSync(file);
  const mode = statSync(real).mode & 0o7777;
  const backup = join(dirname(real), assertName('backup', basename(real) + KUBECONFIG_BACKUP_SUFFIX));
  try {
    copyFileSync(real, backup, fsConstants.COPYFILE_EXCL);
    chmodSync(backup, mode & 0o700 ? mode & 0o700 : 0o600); // never more readable than the owner
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new KubeError('config', `Could not keep a backup of ${real} before changing it (${(e as Error).message}); nothing was changed.`);
  }
  const tmp = join(dirname(real), `.${basename(real)}.${randomBytes(6).toString('hex')}.homelab-tmp`);
  let fd: number | undefined = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    chmodSync(tmp, mode);
    renameSync(tmp, real);
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* closed */ }
    try { unlinkSync(tmp); } catch { /* gone */ }
    throw new KubeError('config', `Could not write ${real}: ${(e as Error).message}; it was left unchanged.`);
  }
}
