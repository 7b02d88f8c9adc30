// homelab.nix.buildIso: stages the flake (the workspace copy wins), checks its syntax (problems go
// to the Problems view as file:line), then builds locally when nix is there, else on the build
// host over SSH (host key verified, the ISO fetched back). The real output streams into a terminal;
// the notification shows phase and elapsed time, and its Cancel stops the build (remotely too).
import * as vscode from 'vscode';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { BuildPhase } from '../../providers/nix';
import type { Terminals } from '../../services/terminals';
import { LogTerminal } from '../../views/terminals/log-terminal';
import type { Prompts } from '../prompts';
import { CancelledError } from '../../providers/cancellation';
import type { CommandRegistry } from '../registry';
import { buildHostSetting, elapsed, nixEnv, nixSettings, vscodeFileStore, workspaceDir } from './settings';
import { settings } from '../../services/settings';

export interface BuildDeps {
  prompts: Prompts;
  terminals: Terminals;
  log: vscode.LogOutputChannel;
  bundledDir: string;
  /** Where staging, out-links and fetched ISOs live (the extension's global storage). */
  workDir: string;
  knownHostsPath: string;
  diagnostics: vscode.DiagnosticCollection;
}

export interface BuiltIso {
  /** Local ISO (local builds, or fetched back from the build host). */
  isoPath?: string;
  /** Set when the build host uploaded the ISO to Proxmox itself. */
  volid?: string;
  sha256?: string;
  where: string;
  durationMs: number;
}

const PHASES: Record<BuildPhase, () => string> = {
  copying: () => vscode.l10n.t('copying the flake'),
  evaluating: () => vscode.l10n.t('evaluating'),
  fetching: () => vscode.l10n.t('fetching'),
  building: () => vscode.l10n.t('building'),
  compressing: () => vscode.l10n.t('compressing the ISO'),
  'fetching-iso': () => vscode.l10n.t('fetching the ISO'),
  done: () => vscode.l10n.t('done'),
};
export const phaseLabel = (p: BuildPhase) => PHASES[p]();

/** Stages and syntax-checks the flake; broken files become diagnostics on the user's own files. */
async function stage(deps: BuildDeps, term: LogTerminal): Promise<string> {
  const nix = await import('../../providers/nix');
  const params = nix.resolveParams(nixSettings());
  const store = vscodeFileStore();
  const source = await nix.resolveFlakeSource(store, { bundledDir: deps.bundledDir, workspaceDir: workspaceDir(), trusted: vscode.workspace.isTrusted });
  term.dim(source.ejected ? vscode.l10n.t('Flake: {0} (your copy)', source.dir) : vscode.l10n.t('Flake: bundled, parameters from the homelab.nix.* settings'));
  const staging = path.join(deps.workDir, 'flake');
  await fsp.rm(staging, { recursive: true, force: true });
  const staged = await nix.stageFlake(store, source, params, staging);
  const problems = await nix.checkNixSyntax(staged);
  deps.diagnostics.clear();
  if (problems.length) {
    // Name the user's file, not the staged copy.
    const real = (f: string) => (f.startsWith(staging) ? path.join(source.dir, path.relative(staging, f)) : f);
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of problems) {
      const file = real(p.file);
      const line = Math.max(0, (p.line ?? 1) - 1);
      const col = Math.max(0, (p.column ?? 1) - 1);
      const d = new vscode.Diagnostic(new vscode.Range(line, col, line, col + 1), p.message, vscode.DiagnosticSeverity.Error);
      d.source = 'nix-instantiate';
      byFile.set(file, [...(byFile.get(file) ?? []), d]);
      term.line(p.output.split(staging).join(source.dir));
    }
    for (const [f, ds] of byFile) deps.diagnostics.set(vscode.Uri.file(f), ds);
    const list = problems.map((p) => `${real(p.file)}:${p.line ?? '?'}:${p.column ?? '?'}: ${p.message}`).join('\n');
    throw new Error(vscode.l10n.t('The NixOS files do not parse (nix-instantiate): {0}', list));
  }
  return staging;
}

/** The build itself, writing to `term`; used by the command and by the pipeline's build step. */
/** Where a build host uploads the ISO itself (instead of fetching it back here). */
export interface UploadFromBuildHost {
  client: import('../../providers/proxmox').ProxmoxClient;
  url: string;
  node: string;
  storage: string;
  filename: string;
  /** PEM of the cluster certificate, already checked against the pinned fingerprint. */
  certPem: string;
  authorization: string;
}

export async function buildIso(deps: BuildDeps, term: LogTerminal, o: { signal: AbortSignal; onPhase?: (p: BuildPhase) => void; uploadTo?: UploadFromBuildHost; unknownHostKey?: 'ask' | 'refuse' }): Promise<BuiltIso> {
  const nix = await import('../../providers/nix');
  const flakeDir = await stage(deps, term);
  const remote = buildHostSetting();
  const env = nixEnv();
  const where = await nix.chooseBuilder({ buildHost: remote ? remote.host : undefined, env }).catch((e: unknown) => {
    if (!nix.isNixError(e, 'no-builder')) throw e;
    throw new Error(vscode.l10n.t('Building the NixOS ISO needs Nix, and none was found. Either install Nix on this machine (https://nixos.org/download, then enable flakes: add "experimental-features = nix-command flakes" to ~/.config/nix/nix.conf), or set "homelab.nix.buildHost" to a machine with Nix that you reach over SSH (e.g. "user@nixbox"): Homelab copies the flake there, builds, and fetches the ISO back.'));
  });
  const onLine = (l: string) => term.line(l);
  if (where.kind === 'local') {
    term.dim(`$ nix ${nix.nixBuildArgs(flakeDir, path.join(deps.workDir, 'result')).join(' ')}`);
    term.dim(vscode.l10n.t('(local Nix {0} at {1})', where.nix.version, where.nix.path));
    const r = await nix.buildIsoLocally({ nix: where.nix.path, flakeDir, outLink: path.join(deps.workDir, 'result'), env, onLine, onPhase: o.onPhase, signal: o.signal });
    return { isoPath: r.isoPath!, where: vscode.l10n.t('this machine'), durationMs: r.durationMs };
  }
  const host = remote!;
  const ssh = await import('../../providers/ssh');
  const keyPath = settings.get('ssh.privateKeyPath').replace(/^~(?=\/)/, process.env.HOME ?? '~') || undefined;
  const username = host.user ?? process.env.USER ?? 'root';
  term.dim(vscode.l10n.t('No local Nix: building on {0}@{1}:{2} over SSH', username, host.host, host.port));
  let declinedType: string | undefined;
  const session = await ssh.connectSsh({
    host: host.host, port: host.port, username, privateKeyPath: keyPath, knownHosts: new ssh.KnownHosts(deps.knownHostsPath), signal: o.signal,
    // A run started by a tool never asks (a model cannot compare fingerprints): an unknown key refuses.
    confirmUnknown: (info) => o.unknownHostKey === 'refuse' ? Promise.resolve((declinedType = info.keyType, false)) : deps.prompts.confirm(
      vscode.l10n.t('First connection to the build host {0}: trust its host key?', host.port === 22 ? host.host : `${host.host}:${host.port}`),
      vscode.l10n.t('{0} key fingerprint: {1}', info.keyType, info.fingerprint) + '\n\n' + vscode.l10n.t('Compare it with the host\'s own (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`). Once trusted, a different key is refused.'),
      vscode.l10n.t('Trust and Connect'),
    ).then(() => true, () => false),
  }).catch((e: unknown) => {
    if (e instanceof ssh.HostKeyDeclinedError && o.unknownHostKey === 'refuse') throw new Error(unknownHostKeyMessage(`${username}@${host.host}${host.port === 22 ? '' : `:${host.port}`}`, declinedType ?? '?', e.fingerprint));
    if (e instanceof ssh.HostKeyDeclinedError) throw new CancelledError();
    throw e;
  });
  term.dim(vscode.l10n.t('Host key {0} {1} ({2})', session.hostKey.keyType, session.hostKey.fingerprint, session.hostKey.status));
  try {
    if (o.uploadTo) {
      const u = o.uploadTo;
      const r = await nix.buildIsoRemotely({ session, flakeDir, nixCommand: host.nix, onLine, onPhase: o.onPhase, signal: o.signal });
      term.dim(vscode.l10n.t('Uploading {0} from {1} to {2}/{3} (curl there, certificate pinned)', u.filename, host.host, u.node, u.storage));
      const up = await nix.uploadFromBuildHost({ session, remoteIsoPath: r.remoteIsoPath!, url: u.url, node: u.node, storage: u.storage, filename: u.filename, certPem: u.certPem, authorization: u.authorization, signal: o.signal });
      const { followTask } = await import('../../providers/proxmox');
      const task = await followTask(u.client, up.upid, { signal: o.signal, onLog: (ls) => ls.forEach((l) => term.line(`  ${l}`)) });
      if (task.status === 'error' || task.cancelled) throw new Error(vscode.l10n.t('The upload from the build host failed: {0}', task.exitstatus));
      return { volid: `${u.storage}:iso/${u.filename}`, sha256: up.sha256, where: host.host, durationMs: r.durationMs };
    }
    const fetchTo = path.join(deps.workDir, 'fetched', 'homelab-nixos.iso');
    let lastPct = -1;
    const r = await nix.buildIsoRemotely({
      session, flakeDir, nixCommand: host.nix, fetchTo, onLine, onPhase: o.onPhase, signal: o.signal,
      onFetchProgress: (b, t) => {
        const pct = Math.floor((b * 100) / Math.max(1, t));
        if (pct >= lastPct + 10) term.dim(vscode.l10n.t('fetched {0}%', (lastPct = pct)));
      },
    });
    return { isoPath: r.isoPath!, where: host.host, durationMs: r.durationMs };
  } finally {
    session.close();
  }
}

export function unknownHostKeyMessage(where: string, keyType: string, fingerprint: string): string {
  return vscode.l10n.t('The SSH host key of the build host {0} is not trusted yet ({1} {2}). Run "Homelab: Build NixOS Template" from the Command Palette once: it shows this fingerprint to compare and trust. Nothing was started.', where, keyType, fingerprint);
}

/** Runs `work` with a terminal and a cancellable notification showing phase and elapsed time. */
export async function withBuildUi<T>(deps: Pick<BuildDeps, 'terminals'>, title: string, termName: string,
  work: (term: LogTerminal, signal: AbortSignal, setPhase: (text: string) => void) => Promise<T>,
  outer?: { signal?: AbortSignal; onPhase?: (text: string) => void }): Promise<T> {
  const term = new LogTerminal(termName);
  const { terminal } = deps.terminals.create('task', term, new vscode.ThemeIcon('package'));
  terminal.show(true);
  const ac = new AbortController();
  const sub = term.onInterrupt(() => ac.abort());
  // A tool's cancellation (the chat's Stop) ends the run as the notification's Cancel does.
  const stopOuter = () => ac.abort();
  if (outer?.signal?.aborted) ac.abort();
  outer?.signal?.addEventListener('abort', stopOuter);
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      token.onCancellationRequested(() => ac.abort());
      const t0 = Date.now();
      let phase = '';
      const show = () => progress.report({ message: `${phase} · ${elapsed(Date.now() - t0)}` });
      const timer = setInterval(show, 1000);
      try {
        return await work(term, ac.signal, (p) => { phase = p; show(); outer?.onPhase?.(p); });
      } finally {
        clearInterval(timer);
      }
    });
  } finally {
    sub.dispose();
    outer?.signal?.removeEventListener('abort', stopOuter);
  }
}

async function buildCommand(deps: BuildDeps): Promise<BuiltIso | undefined> {
  const nix = await import('../../providers/nix');
  const t0 = Date.now();
  return withBuildUi(deps, vscode.l10n.t('Building the NixOS ISO'), vscode.l10n.t('nix build · NixOS ISO'), async (term, signal, setPhase) => {
    try {
      const r = await buildIso(deps, term, { signal, onPhase: (p) => setPhase(phaseLabel(p)) });
      term.end(true, vscode.l10n.t('ISO built on {0} in {1}: {2}', r.where, elapsed(Date.now() - t0), r.isoPath ?? ''));
      void vscode.window.showInformationMessage(vscode.l10n.t('NixOS ISO built: {0}', r.isoPath ?? r.volid ?? ''));
      return r;
    } catch (e) {
      if (nix.isNixError(e, 'cancelled') || signal.aborted) {
        term.end(false, vscode.l10n.t('CANCELLED: the build was stopped.'));
        void vscode.window.showInformationMessage(vscode.l10n.t('The ISO build was cancelled and stopped.'));
        throw new CancelledError();
      }
      const message = e instanceof Error ? e.message : String(e);
      term.end(false, vscode.l10n.t('FAILED: {0}', message));
      throw e;
    }
  });
}

export function registerBuildCommand(registry: CommandRegistry, deps: BuildDeps): void {
  registry.register('homelab.nix.buildIso', () => buildCommand(deps));
}
