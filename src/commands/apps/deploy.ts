// Deploy Application (the Hacky Stack kit): a wizard with Back and a summary, then one terminal
// that shows each step (check, apply, rollout, health) under a cancellable notification, and one
// line in the journal's activity log. Secrets are asked in password inputs, kept in memory only,
// and sent to the API in a Secret: never to a file, the log, the terminal, the journal or a
// command line (the engine scrubs every line and error it emits of the values it was given).
import * as vscode from 'vscode';
import type { Prompts } from '../prompts';
import type { CommandRegistry } from '../registry';
import { runWizard, RetryableError, type SummaryLine, type WizardStep, type WizardTrail } from '../wizard';
import type { KubernetesSession } from '../../services/kubernetes';
import type { Terminals } from '../../services/terminals';
import type { ActivityLog } from '../../services/activity';
import type { DeployOutcome, DeployRequest, DeployStep } from '../../providers/apps/deploy';
import type { KitLevel, KitParams } from '../../providers/apps/kit';
import { parseDatabaseUrl } from '../../providers/postgres/url';
import { CancelledError, isCancellation } from '../../providers/cancellation';
import { LogTerminal } from '../../views/terminals/log-terminal';

export interface AppDeployTuning { rolloutTimeoutMs?: number; healthTimeoutMs?: number }

export interface AppDeployDeps {
  registry: CommandRegistry;
  session: KubernetesSession;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  terminals: Terminals;
  activity: ActivityLog;
  extensionPath: string;
  tuning: AppDeployTuning;
}

/** Arguments of homelab.kubernetes.deployApplication (tests, other commands): answers given skip their steps. */
export interface DeployArgs {
  context?: string;
  level?: KitLevel;
  namespace?: string;
  image?: string;
  tag?: string;
  replicas?: number;
  ingressClass?: string;
  databaseImage?: string;
  storageClass?: string;
  nextAuthSecret?: string;
  nextAuthUrl?: string;
  githubClientId?: string;
  githubClientSecret?: string;
  databaseUrl?: string;
  databasePassword?: string;
}

interface State extends DeployArgs { fromArgs: Set<keyof DeployArgs> }

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function registerAppDeployCommand(deps: AppDeployDeps): void {
  deps.registry.register('homelab.kubernetes.deployApplication', (arg?: unknown) => deployCommand(deps, arg));
}

function initialState(arg: unknown): State {
  const el = arg as { kind?: string; context?: string } | undefined;
  if (el?.kind === 'context' && typeof el.context === 'string') return { context: el.context, fromArgs: new Set(['context']) };
  if (arg && typeof arg === 'object' && !('kind' in arg)) {
    const a = arg as DeployArgs;
    const given = (Object.keys(a) as (keyof DeployArgs)[]).filter((k) => a[k] !== undefined);
    return { ...a, fromArgs: new Set(given) };
  }
  return { fromArgs: new Set() };
}

async function deployCommand(deps: AppDeployDeps, arg: unknown, trail: WizardTrail = { answered: [], skipped: [] }, kept?: State): Promise<DeployOutcome> {
  const state = kept ?? initialState(arg);
  await runWizard(state, steps(deps), trail);
  const req = toRequest(state);
  try {
    return await run(deps, state.context!, req);
  } catch (e) {
    // Refused before anything changed: the answers are kept for "Try again".
    // On that retry every answer can be changed, those given as arguments too.
    if ((e as Error).name === 'DeployRefused') throw new RetryableError((e as Error).message, () => deployCommand(deps, arg, trail, { ...state, fromArgs: new Set() }));
    throw e;
  }
}

function toRequest(s: State): DeployRequest {
  const params: KitParams = {
    namespace: s.namespace, image: s.image, tag: s.tag, replicas: s.replicas, ingressClass: s.ingressClass,
    databaseImage: s.level === 'intermediate' ? s.databaseImage ?? 'postgres:15' : undefined,
    storageClass: s.storageClass,
    appSecrets: {
      NEXTAUTH_SECRET: s.nextAuthSecret || undefined, NEXTAUTH_URL: s.nextAuthUrl || undefined,
      GITHUB_CLIENT_ID: s.githubClientId, GITHUB_CLIENT_SECRET: s.githubClientSecret,
      DATABASE_URL: s.level === 'basic' ? s.databaseUrl : undefined,
    },
    databaseCredentials: s.level === 'intermediate' && s.databasePassword ? { POSTGRES_PASSWORD: s.databasePassword } : undefined,
  };
  return { level: s.level ?? 'basic', params };
}

function steps(deps: AppDeployDeps): WizardStep<State>[] {
  const { prompts } = deps;
  const title = (s: string) => vscode.l10n.t('Deploy Application: {0}', s);
  const given = (s: State, k: keyof DeployArgs) => s.fromArgs.has(k);
  const list: WizardStep<State>[] = [
    async (s, at) => {
      if (given(s, 'context')) return 'skip';
      const cfg = await deps.session.kubeconfig();
      if (!cfg.contexts.length) throw new Error(vscode.l10n.t('No Kubernetes context: add a kubeconfig in the Kubernetes view first.'));
      const items = cfg.contexts.map((c) => ({ label: c.name, description: c.name === cfg.currentContext ? vscode.l10n.t('current') : c.cluster }));
      s.context = (await prompts.pickStep(items, { title: title(vscode.l10n.t('Kubernetes context')) }, at))[0].label;
    },
    async (s, at) => {
      if (given(s, 'level')) return 'skip';
      const items = [
        { label: 'basic', id: 'basic', description: vscode.l10n.t('the app with an external PostgreSQL (DATABASE_URL)') },
        { label: 'intermediate', id: 'intermediate', description: vscode.l10n.t('the app with PostgreSQL in a StatefulSet in the cluster') },
      ];
      s.level = (await prompts.pickStep(items, { title: title(vscode.l10n.t('Level')) }, at))[0].id as KitLevel;
    },
    async (s, at) => {
      if (given(s, 'namespace')) return 'skip';
      s.namespace = await prompts.inputStep({ title: title(vscode.l10n.t('Namespace')), value: s.namespace ?? 'hacky-stack', prompt: vscode.l10n.t('Namespace of the application (created if missing; must not belong to another application)'),
        validateInput: (v) => (DNS_LABEL.test(v) && v.length <= 63 ? undefined : vscode.l10n.t('Lowercase letters, digits and "-", up to 63, starting and ending with a letter or digit.')) }, at);
    },
    async (s, at) => {
      if (given(s, 'image')) return 'skip';
      s.image = await prompts.inputStep({ title: title(vscode.l10n.t('Image')), value: s.image ?? '', placeHolder: 'ghcr.io/your-github-user/hacky-stack', prompt: vscode.l10n.t('The app image, without the tag'),
        validateInput: (v) => (/^(?:[a-zA-Z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(v) ? undefined : vscode.l10n.t('An image name such as ghcr.io/me/hacky-stack (lowercase, without ":tag").')) }, at);
    },
    async (s, at) => {
      if (given(s, 'tag')) return 'skip';
      s.tag = await prompts.inputStep({ title: title(vscode.l10n.t('Tag')), value: s.tag ?? 'latest', prompt: vscode.l10n.t('The image tag'),
        validateInput: (v) => (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v) ? undefined : vscode.l10n.t('Letters, digits, "_", "." and "-", up to 128.')) }, at);
    },
    async (s, at) => {
      if (given(s, 'replicas')) return 'skip';
      const v = await prompts.inputStep({ title: title(vscode.l10n.t('Replicas')), value: String(s.replicas ?? 2), prompt: vscode.l10n.t('Pods of the app (2 keeps it up while one restarts)'),
        validateInput: (x) => (/^\d+$/.test(x.trim()) && Number(x) >= 1 && Number(x) <= 50 ? undefined : vscode.l10n.t('A whole number from 1 to 50.')) }, at);
      s.replicas = Number(v.trim());
    },
    async (s, at) => {
      if (given(s, 'nextAuthSecret')) return 'skip';
      s.nextAuthSecret = await prompts.inputStep({ title: title('NEXTAUTH_SECRET'), password: true, value: s.nextAuthSecret ?? '', prompt: vscode.l10n.t('Leave empty to keep the deployed one, or to generate one (32 random bytes)'),
        validateInput: (v) => (v === '' || v.length >= 16 ? undefined : vscode.l10n.t('At least 16 characters, or empty to generate one.')) }, at);
    },
    async (s, at) => {
      if (given(s, 'nextAuthUrl')) return 'skip';
      s.nextAuthUrl = await prompts.inputStep({ title: title('NEXTAUTH_URL'), value: s.nextAuthUrl ?? 'https://hackystack.local', prompt: vscode.l10n.t('The public URL of the app'),
        validateInput: (v) => (/^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/.test(v) ? undefined : vscode.l10n.t('A URL such as https://hackystack.local.')) }, at);
    },
    async (s, at) => {
      if (given(s, 'githubClientId')) return 'skip';
      s.githubClientId = await prompts.inputStep({ title: title(vscode.l10n.t('GitHub OAuth client id')), password: true, value: s.githubClientId ?? '', prompt: vscode.l10n.t('From your GitHub OAuth App (Settings > Developer settings > OAuth Apps)'),
        validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Required.')) }, at);
    },
    async (s, at) => {
      if (given(s, 'githubClientSecret')) return 'skip';
      s.githubClientSecret = await prompts.inputStep({ title: title(vscode.l10n.t('GitHub OAuth client secret')), password: true, value: s.githubClientSecret ?? '', prompt: vscode.l10n.t('The OAuth App\'s client secret'),
        validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Required.')) }, at);
    },
    async (s, at) => {
      if (s.level !== 'basic' || given(s, 'databaseUrl')) return 'skip';
      s.databaseUrl = await prompts.inputStep({ title: title('DATABASE_URL'), password: true, value: s.databaseUrl ?? '', prompt: vscode.l10n.t('The external PostgreSQL: postgresql://USER:PASSWORD@HOST:5432/DATABASE'),
        validateInput: (v) => { try { parseDatabaseUrl(v); return undefined; } catch (e) { return (e as Error).message; } } }, at);
    },
    async (s, at) => {
      if (s.level !== 'intermediate' || given(s, 'databasePassword')) return 'skip';
      s.databasePassword = await prompts.inputStep({ title: title(vscode.l10n.t('PostgreSQL password')), password: true, value: s.databasePassword ?? '', prompt: vscode.l10n.t('For the StatefulSet\'s database; leave empty to keep the deployed one, or to generate one'),
        validateInput: (v) => (v === '' || v.length >= 8 ? undefined : vscode.l10n.t('At least 8 characters, or empty to generate one.')) }, at);
    },
  ];
  const summary: WizardStep<State> = async (s, at) => {
    const set = (v: string | undefined, gen?: string) => (v ? vscode.l10n.t('(set)') : gen ?? vscode.l10n.t('(not set)'));
    const lines: SummaryLine[] = [
      { label: vscode.l10n.t('Context'), value: s.context ?? '', step: given(s, 'context') ? undefined : 0 },
      { label: vscode.l10n.t('Level'), value: s.level ?? '', step: given(s, 'level') ? undefined : 1 },
      { label: vscode.l10n.t('Namespace'), value: s.namespace ?? 'hacky-stack', step: given(s, 'namespace') ? undefined : 2 },
      { label: vscode.l10n.t('Image'), value: `${s.image}:${s.tag}`, step: given(s, 'image') ? undefined : 3 },
      { label: vscode.l10n.t('Replicas'), value: String(s.replicas ?? 2), step: given(s, 'replicas') ? undefined : 5 },
      { label: 'NEXTAUTH_SECRET', value: set(s.nextAuthSecret, vscode.l10n.t('(kept or generated)')), step: given(s, 'nextAuthSecret') ? undefined : 6 },
      { label: 'NEXTAUTH_URL', value: s.nextAuthUrl || 'https://hackystack.local', step: given(s, 'nextAuthUrl') ? undefined : 7 },
      { label: vscode.l10n.t('GitHub client id and secret'), value: set(s.githubClientId && s.githubClientSecret), step: given(s, 'githubClientId') ? undefined : 8 },
    ];
    if (s.level === 'basic') {
      let where = '';
      try { const u = parseDatabaseUrl(s.databaseUrl ?? ''); where = `${u.host}:${u.port}/${u.database}`; } catch { /* validated in its step */ }
      lines.push({ label: 'DATABASE_URL', value: vscode.l10n.t('(set) {0}', where), step: given(s, 'databaseUrl') ? undefined : 10 });
    } else {
      lines.push({ label: vscode.l10n.t('PostgreSQL'), value: vscode.l10n.t('StatefulSet {0}, password {1}', s.databaseImage ?? 'postgres:15', set(s.databasePassword, vscode.l10n.t('(kept or generated)'))), step: given(s, 'databasePassword') ? undefined : 11 });
    }
    await prompts.summaryStep(title(vscode.l10n.t('Summary')), lines, vscode.l10n.t('Deploy'), at);
  };
  return [...list, summary];
}

const STEP_TITLES = (): Record<DeployStep, string> => ({
  check: vscode.l10n.t('Checking the namespace and the answers'),
  apply: vscode.l10n.t('Applying the manifests (server-side apply)'),
  rollout: vscode.l10n.t('Waiting for the rollout'),
  health: vscode.l10n.t('Checking health'),
});

async function run(deps: AppDeployDeps, context: string, req: DeployRequest): Promise<DeployOutcome> {
  const k8s = await deps.session.modules();
  const client = await deps.session.client(context);
  const kit = k8s.apps.loadKit(deps.extensionPath, req.level);
  const ns = req.params.namespace ?? 'hacky-stack';
  const pty = new LogTerminal(vscode.l10n.t('Deploy {0} ({1})', 'hacky-stack', context));
  const { terminal } = deps.terminals.create('task', pty, new vscode.ThemeIcon('rocket'));
  terminal.show(true);
  pty.line(vscode.l10n.t('Deploy {0} ({1}) to {2}, namespace {3}', 'hacky-stack', req.level, context, ns));
  const titles = STEP_TITLES();
  return deps.activity.run({ what: 'deploy application hacky-stack', cluster: context, target: `${ns} (${req.level})` }, async () => vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Deploying {0} to {1}', 'hacky-stack', context), cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const subs = [token.onCancellationRequested(() => ac.abort()), pty.onInterrupt(() => ac.abort())];
      try {
        const outcome = await k8s.apps.deployApplication(client, kit, req, {
          signal: ac.signal, rolloutTimeoutMs: deps.tuning.rolloutTimeoutMs, healthTimeoutMs: deps.tuning.healthTimeoutMs,
          onStep: (s) => { pty.line(''); pty.line(`\x1b[1m▶ ${titles[s]}\x1b[0m`); progress.report({ message: titles[s] }); },
          onLine: (l) => pty.line(`  ${l}`),
        });
        const failed = outcome.health.filter((h) => h.result === 'failed');
        if (failed.length) {
          const text = vscode.l10n.t('{0} is deployed to {1} ({2}), but {3} health checks failed: {4}', 'hacky-stack', ns, context, failed.length, failed.map((h) => `${h.check}: ${h.detail}`).join('; '));
          pty.end(false, text);
          void vscode.window.showWarningMessage(text);
        } else {
          const notChecked = outcome.health.filter((h) => h.result === 'not-checked');
          const text = vscode.l10n.t('{0} is deployed to {1} ({2}): {3}', 'hacky-stack', ns, context, outcome.url) + (notChecked.length ? vscode.l10n.t(' (not checked: {0})', notChecked.map((h) => h.check).join(', ')) : '');
          pty.end(true, text);
          void vscode.window.showInformationMessage(text);
        }
        deps.log.info(`deploy hacky-stack to ${context}/${ns} (${req.level}): ${outcome.objects.map((o) => `${o.kind}/${o.name} ${o.outcome}`).join(', ')}; ${outcome.health.map((h) => `${h.check} ${h.result}`).join(', ')}`);
        return outcome;
      } catch (e) {
        const cancelled = isCancellation(e) || ac.signal.aborted;
        pty.end(false, cancelled ? vscode.l10n.t('Cancelled. Objects applied before the cancellation stay applied; deploy again to finish.') : (e as Error).message);
        if (cancelled) throw new CancelledError();
        throw e;
      } finally {
        subs.forEach((s) => s.dispose());
      }
    },
  ));
}
