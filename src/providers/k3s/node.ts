// What the bootstrap does on one node over SSH: find the NixOS layout, write the token (stdin, never
// a command line), put the module files in place (SFTP to a private staging directory, then one
// sudo install), add or remove the import, run nixos-rebuild, wait for K3s, read k3s.yaml.
// Commands that need root run through `sudo -n`, so a sudo that asks for a password fails at once
// with a clear message instead of hanging.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { ExecResult, SshSession } from '../ssh';
import { CancelledError } from '../cancellation';
import { K3sError } from './errors';
import { IMPORT_MARKER, NODE_MODULE_FILE, addImport, checkNodePath, hasImport, removeImport } from './nix-module';

export const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The remote side of one node: commands, stdin, and files over SFTP. */
export interface NodeShell {
  readonly host: string;
  readonly username: string;
  run(command: string, o?: { input?: string; signal?: AbortSignal }): Promise<ExecResult>;
  writeFile(path: string, data: string, mode: number): Promise<void>;
  readFile(path: string): Promise<string>;
  mkdir(path: string, mode: number): Promise<void>;
  close(): void;
}

function sftpCall<T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/** A NodeShell over an authenticated SSH session (host key already verified by connectSsh). */
export function sshNodeShell(session: SshSession): NodeShell {
  let sftp: Promise<SFTPWrapper> | undefined;
  const channel = () => (sftp ??= session.sftp());
  return {
    host: session.host,
    username: session.username,
    async run(command, o = {}) {
      if (o.input === undefined) return session.exec(command, { signal: o.signal });
      o.signal?.throwIfAborted();
      const proc = await session.start(command);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      proc.stdout.on('data', (d: Buffer) => out.push(d));
      proc.stderr.on('data', (d: Buffer) => err.push(d));
      const onAbort = () => proc.close();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      proc.stdin.end(o.input);
      const exit = await proc.exit;
      o.signal?.removeEventListener('abort', onAbort);
      if (o.signal?.aborted) throw new CancelledError();
      return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: exit.code, signal: exit.signal };
    },
    async writeFile(path, data, mode) {
      const s = await channel();
      await sftpCall<void>((cb) => s.writeFile(path, data, { mode, flag: 'w' }, cb));
      await sftpCall<void>((cb) => s.chmod(path, mode, cb)); // an existing file keeps its old mode otherwise
    },
    async readFile(path) {
      const s = await channel();
      const buf = await sftpCall<Buffer>((cb) => s.readFile(path, cb as (e: Error | null | undefined, b?: Buffer) => void));
      return buf.toString('utf8');
    },
    async mkdir(path, mode) {
      const s = await channel();
      await sftpCall<void>((cb) => s.mkdir(path, { mode }, cb));
    },
    close() {
      void sftp?.then((s) => s.end(), () => undefined);
      session.close();
    },
  };
}

/** Where Homelab puts K3s on a NixOS node and how it rebuilds it. */
export interface NodeLayout {
  /** homelab-flake: the template's flake copy in /etc/nixos/homelab (rebuilt with --flake ...#template);
   * configuration: a classic /etc/nixos/configuration.nix. */
  kind: 'homelab-flake' | 'configuration';
  /** k3s.nix, k3s-flags.nix and k3s-node.nix go here. */
  moduleDir: string;
  /** The file that gets the import line. */
  entryFile: string;
  /** The import as written in entryFile (relative to it). */
  importPath: string;
  /** nixos-rebuild arguments. */
  rebuildArgs: string[];
  /** K3s state found on the node (k3s.yaml or /var/lib/rancher/k3s). */
  existingK3s: boolean;
  /** The import Homelab adds is there: a previous bootstrap set K3s up. */
  managed: boolean;
  /** PRETTY_NAME of /etc/os-release. */
  os: string;
}

export interface NodeOpsOptions {
  /** Prefix of every node path (a staging root; tests give each stand-in node its own). Default ''. */
  root?: string;
  /** Run root commands through `sudo -n` (default: unless the SSH user is root). */
  sudo?: boolean;
  tokenFile: string;
  /** How long K3s may take to write k3s.yaml after the switch (seconds). */
  startTimeoutS?: number;
}

const KUBECONFIG_PATH = '/etc/rancher/k3s/k3s.yaml';
const SUDO_PASSWORD = /a password is required|a terminal is required|no tty present|askpass/i;

const tail = (s: string, n = 12) => s.trim().split('\n').slice(-n).join('\n');

export class NodeOps {
  private readonly root: string;
  private readonly useSudo: boolean;

  constructor(readonly shell: NodeShell, readonly label: string, private readonly o: NodeOpsOptions) {
    this.root = (o.root ?? '').replace(/\/+$/, '');
    this.useSudo = o.sudo ?? shell.username !== 'root';
    for (const p of [o.tokenFile, this.root || '/']) {
      const bad = checkNodePath(p);
      if (bad) throw new K3sError('layout', bad);
    }
  }

  /** A node path under the root prefix. */
  path(p: string): string {
    return this.root + p;
  }

  private asRoot(script: string): string {
    return this.useSudo ? `sudo -n sh -c ${shQuote(script)}` : `sh -c ${shQuote(script)}`;
  }

  /** Runs a root script; a sudo password prompt and other failures become K3sError. */
  async runAsRoot(script: string, what: string, o: { input?: string; signal?: AbortSignal; kind?: K3sError['kind'] } = {}): Promise<string> {
    const r = await this.shell.run(this.asRoot(script), { input: o.input, signal: o.signal });
    if (o.signal?.aborted) throw new CancelledError();
    if (r.code === 0) return r.stdout;
    if (this.useSudo && SUDO_PASSWORD.test(r.stderr)) throw this.sudoError();
    throw new K3sError(o.kind ?? 'remote', `${what} failed on ${this.label} (exit ${r.code ?? r.signal}): ${tail(r.stderr || r.stdout) || 'no output'}`);
  }

  private sudoError(): K3sError {
    return new K3sError('sudo-password', `sudo on ${this.label} asks for a password. Homelab runs root commands with "sudo -n": allow ${this.shell.username} passwordless sudo (the Homelab template sets security.sudo.wheelNeedsPassword = false), then retry.`);
  }

  /** Finds the NixOS layout; throws for a node that is not NixOS or has no configuration we can extend. */
  async detect(signal?: AbortSignal): Promise<NodeLayout> {
    const R = shQuote(this.root);
    const script = [
      `R=${R}`,
      `if [ -r "$R/etc/os-release" ]; then . "$R/etc/os-release"; fi`,
      `echo "id=\${ID:-unknown}"`,
      `echo "pretty=\${PRETTY_NAME:-unknown}"`,
      `[ -f "$R/etc/nixos/homelab/flake.nix" ] && [ -f "$R/etc/nixos/homelab/template.nix" ] && echo flake=1`,
      `[ -f "$R/etc/nixos/configuration.nix" ] && echo config=1`,
      `[ -f "$R/etc/nixos/flake.nix" ] && echo userflake=1`,
      `{ [ -e "$R${KUBECONFIG_PATH}" ] || [ -d "$R/var/lib/rancher/k3s/server" ] || [ -d "$R/var/lib/rancher/k3s/agent" ]; } && echo k3s=1`,
      `grep -qF ${shQuote(IMPORT_MARKER)} "$R/etc/nixos/homelab/template.nix" "$R/etc/nixos/configuration.nix" 2>/dev/null && echo managed=1`,
      'true',
    ].join('\n');
    const r = await this.shell.run(`sh -c ${shQuote(script)}`, { signal });
    if (signal?.aborted) throw new CancelledError();
    if (r.code !== 0) throw new K3sError('remote', `Cannot inspect ${this.label}: ${tail(r.stderr) || `exit ${r.code}`}`);
    const facts = new Map(r.stdout.split('\n').map((l) => l.split('=')).filter((kv) => kv.length >= 2).map(([k, ...v]) => [k, v.join('=')]));
    const os = (facts.get('pretty') ?? 'unknown').replace(/^"|"$/g, '');
    if (facts.get('id') !== 'nixos') {
      throw new K3sError('not-nixos', `${this.label} runs ${os}, not NixOS. Homelab sets K3s up declaratively on NixOS nodes (deploy the cluster from a Homelab NixOS template); on other systems install K3s yourself, e.g. with k3sup.`);
    }
    const existingK3s = facts.has('k3s');
    const managed = facts.has('managed');
    if (facts.has('flake')) {
      const dir = '/etc/nixos/homelab';
      return { kind: 'homelab-flake', moduleDir: dir, entryFile: `${dir}/template.nix`, importPath: `./${NODE_MODULE_FILE}`, rebuildArgs: ['switch', '--flake', `${this.path(dir)}#template`], existingK3s, managed, os };
    }
    if (facts.has('config') && !facts.has('userflake')) {
      return {
        kind: 'configuration', moduleDir: '/etc/nixos/homelab-k3s', entryFile: '/etc/nixos/configuration.nix', importPath: `./homelab-k3s/${NODE_MODULE_FILE}`,
        rebuildArgs: ['switch', '-I', `nixos-config=${this.path('/etc/nixos/configuration.nix')}`], existingK3s, managed, os,
      };
    }
    throw new K3sError('layout', facts.has('userflake')
      ? `${this.label} is configured by its own flake (/etc/nixos/flake.nix), which Homelab did not write. Add resources/nix/k3s.nix and a k3s-node.nix to it yourself, or bootstrap a node made from the Homelab template.`
      : `${this.label} runs NixOS but has neither the Homelab template's flake (/etc/nixos/homelab) nor /etc/nixos/configuration.nix: Homelab cannot tell which configuration to extend.`);
  }

  /** Fails early and clearly when sudo needs a password. */
  async checkSudo(signal?: AbortSignal): Promise<void> {
    if (!this.useSudo) return;
    const r = await this.shell.run('sudo -n true', { signal });
    if (signal?.aborted) throw new CancelledError();
    if (r.code === 0) return;
    if (SUDO_PASSWORD.test(r.stderr)) throw this.sudoError();
    throw new K3sError('remote', `sudo does not work on ${this.label}: ${tail(r.stderr) || `exit ${r.code}`}`);
  }

  /** Writes the token root-only (0600 in a 0700 directory). It travels on stdin: no command line or log sees it. */
  async writeToken(token: string, signal?: AbortSignal): Promise<void> {
    const file = this.path(this.o.tokenFile);
    const dir = posix.dirname(file);
    await this.runAsRoot(`umask 077 && mkdir -p ${shQuote(dir)} && chmod 700 ${shQuote(dir)} && cat > ${shQuote(file + '.tmp')} && chmod 600 ${shQuote(file + '.tmp')} && mv -f ${shQuote(file + '.tmp')} ${shQuote(file)}`,
      'Writing the cluster token', { input: token + '\n', signal });
  }

  async removeToken(signal?: AbortSignal): Promise<void> {
    const file = this.path(this.o.tokenFile);
    await this.runAsRoot(`rm -f ${shQuote(file)} ${shQuote(file + '.tmp')}`, 'Removing the cluster token', { signal });
  }

  /** Puts files into a root-owned directory: SFTP into a private staging directory, then one sudo install. */
  async installFiles(dir: string, files: Array<{ name: string; text: string }>, signal?: AbortSignal): Promise<void> {
    const staging = `.homelab-k3s-${randomBytes(6).toString('hex')}`;
    await this.shell.mkdir(staging, 0o700);
    try {
      for (const f of files) {
        if (!/^[A-Za-z0-9._-]+$/.test(f.name)) throw new K3sError('layout', `"${f.name}" is not a plain file name.`);
        await this.shell.writeFile(`${staging}/${f.name}`, f.text, 0o600);
      }
      const target = this.path(dir);
      const installs = files.map((f) => `install -m 0644 "$S"/${shQuote(f.name)} ${shQuote(`${target}/${f.name}`)}`);
      await this.runAsRoot([`S="$(cd ${shQuote(staging)} && pwd)"`, `mkdir -p ${shQuote(target)}`, ...installs].join(' && '), `Installing ${files.map((f) => f.name).join(', ')}`, { signal });
    } finally {
      await this.shell.run(`rm -rf ${shQuote(staging)}`).catch(() => undefined);
    }
  }

  /** Replaces a root-owned file atomically, keeping its mode and owner. */
  private async replaceFile(path: string, text: string, signal?: AbortSignal): Promise<void> {
    const staging = `.homelab-k3s-${randomBytes(6).toString('hex')}`;
    await this.shell.mkdir(staging, 0o700);
    try {
      await this.shell.writeFile(`${staging}/entry`, text, 0o600);
      const t = shQuote(this.path(path));
      const tmp = shQuote(`${this.path(path)}.homelab-tmp`);
      await this.runAsRoot(`cp ${shQuote(staging)}/entry ${tmp} && chmod --reference=${t} ${tmp} && chown --reference=${t} ${tmp} && mv -f ${tmp} ${t}`, `Writing ${path}`, { signal });
    } finally {
      await this.shell.run(`rm -rf ${shQuote(staging)}`).catch(() => undefined);
    }
  }

  /** Adds (or removes) the marked import of the node file; true when the file changed. */
  async setImport(layout: NodeLayout, present: boolean, signal?: AbortSignal): Promise<boolean> {
    let text: string;
    try {
      text = await this.shell.readFile(this.path(layout.entryFile));
    } catch (e) {
      throw new K3sError('layout', `Cannot read ${layout.entryFile} on ${this.label}: ${(e as Error).message}`);
    }
    let next: string;
    try {
      next = present ? addImport(text, layout.importPath, layout.entryFile) : removeImport(text, layout.importPath);
    } catch (e) {
      throw new K3sError('layout', `${this.label}: ${(e as Error).message}`);
    }
    if (next === text) return false;
    await this.replaceFile(layout.entryFile, next, signal);
    return true;
  }

  hasImport(text: string, layout: NodeLayout): boolean {
    return hasImport(text, layout.importPath);
  }

  /** sudo nixos-rebuild ...; the output tail goes into the error. `onLine` sees the output. */
  async rebuild(layout: NodeLayout, signal?: AbortSignal, onLine?: (line: string) => void): Promise<void> {
    const cmd = ['nixos-rebuild', ...layout.rebuildArgs].map(shQuote).join(' ');
    const r = await this.shell.run(this.asRoot(`${cmd} 2>&1`), { signal });
    if (signal?.aborted) throw new CancelledError();
    for (const l of r.stdout.split('\n')) if (l.trim()) onLine?.(l);
    if (r.code === 0) return;
    if (this.useSudo && SUDO_PASSWORD.test(r.stderr)) throw this.sudoError();
    throw new K3sError('rebuild', `nixos-rebuild switch failed on ${this.label} (exit ${r.code ?? r.signal}):\n${tail(r.stdout + r.stderr) || 'no output'}`);
  }

  /** Waits (on the node, one command) until K3s wrote its kubeconfig: the server is up. */
  async waitForServer(signal?: AbortSignal): Promise<void> {
    const secs = this.o.startTimeoutS ?? 180;
    const f = shQuote(this.path(KUBECONFIG_PATH));
    const script = `i=0; while [ ! -s ${f} ]; do i=$((i+1)); [ $i -gt ${secs * 4} ] && exit 3; sleep 0.25; done`;
    try {
      await this.runAsRoot(script, 'Waiting for K3s', { signal, kind: 'k3s-start' });
    } catch (e) {
      if (e instanceof K3sError && e.kind === 'k3s-start') {
        throw new K3sError('k3s-start', `K3s did not start on ${this.label} within ${secs} s (no ${KUBECONFIG_PATH}). Look at "journalctl -u k3s" there.`);
      }
      throw e;
    }
  }

  /** The node's /etc/rancher/k3s/k3s.yaml (root-only), read with sudo. */
  async readKubeconfig(signal?: AbortSignal): Promise<string> {
    return this.runAsRoot(`cat ${shQuote(this.path(KUBECONFIG_PATH))}`, `Reading ${KUBECONFIG_PATH}`, { signal, kind: 'kubeconfig' });
  }

  /** Removes the node file (and in the classic layout the whole homelab-k3s directory). */
  async removeModuleFiles(layout: NodeLayout, signal?: AbortSignal): Promise<void> {
    const dir = this.path(layout.moduleDir);
    const script = layout.kind === 'configuration' ? `rm -rf ${shQuote(dir)}` : `rm -f ${shQuote(`${dir}/${NODE_MODULE_FILE}`)}`;
    await this.runAsRoot(script, 'Removing the K3s module', { signal });
  }
}
