// Applications (objects of a namespace sharing app.kubernetes.io/part-of): list them with their
// rollout, pods, endpoints, URL and database; scale, set the image of, and restart the web
// Deployment, each followed to the end of its rollout. The database is shown as host:port/db
// only: the app Secret's DATABASE_URL is parsed in providers/kubernetes/applications.ts and its
// credentials never reach a result, a confirmation or the audit line.
import { l10n } from './l10n';
import { OperationRefused, type JsonSchema, type KubeClient, type KubernetesModules, type Operation, type Progress } from './types';
import type { AppDetail, AppRef } from '../providers/kubernetes/applications';
import type { RolloutStatus } from '../providers/kubernetes/rollout';
import { connect } from './kubernetes';

const dns = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const contextField: JsonSchema = { type: 'string', maxLength: 253, description: 'kubeconfig context (see kubernetes_contexts); default: the current context.' };
const namespaceField: JsonSchema = { type: 'string', maxLength: 63, pattern: dns, description: 'Namespace of the application; default: the application name when it exists there, else the context\'s namespace.' };
const appField: JsonSchema = { type: 'string', minLength: 1, maxLength: 63, pattern: dns, description: 'Application name: the value of the app.kubernetes.io/part-of label (e.g. hacky-stack).' };

function databaseLine(d: AppDetail): string {
  const db = d.database;
  const set = db.set ? `StatefulSet ${db.set.name} ${db.set.ready}/${db.set.desired} ready${db.set.claims.length ? ` (${db.set.claims.map((c) => `${c.name} ${c.phase}`).join(', ')})` : ''}` : '';
  if (db.kind === 'unknown') return `unknown (${db.reason})${set ? `; ${set}` : ''}`;
  return db.kind === 'statefulset' ? `${set} at ${db.host}:${db.port}/${db.database}` : `external ${db.host}:${db.port}/${db.database}${set ? `; ${set} not in use` : ''}`;
}

/** The application's detail as lines a model reads. */
export function detailLines(d: AppDetail): string[] {
  const r = d.rollout;
  const lines = [
    `${d.namespace}/${d.name} (context ${d.context})`,
    `  deployment: ${d.web ?? 'none'}${r ? ` desired=${r.desired} updated=${r.updated} ready=${r.ready} available=${r.available}${r.failure ? ` FAILED ${r.failure.reason}` : r.done ? '' : ' (rolling out)'}` : ''}`,
    ...d.containers.map((c) => `  container ${c.name}: ${c.image}`),
    `  pods: ${d.pods.map((p) => `${p.name} ${p.status}${p.ready ? ' ready' : ''}${p.restarts ? ` restarts=${p.restarts}` : ''}`).join(', ') || 'none'}`,
    `  service: ${d.service ? `${d.service.name} endpoints ready=${d.service.ready} notReady=${d.service.notReady}` : 'none'}`,
    `  url: ${d.url ?? 'none'}`,
    `  database: ${databaseLine(d)}`,
  ];
  if (d.events.length) lines.push('  recent events:', ...d.events.slice(0, 10).map((e) => `    ${e.time} ${e.type} ${e.object} ${e.reason}: ${e.message}`));
  return lines;
}

/** Finds the application: in `namespace`, else the namespace named like it, else the context's. */
async function resolve(k: KubernetesModules, client: KubeClient, app: string, namespace?: string, signal?: AbortSignal): Promise<AppDetail> {
  const tries = namespace ? [namespace] : [...new Set([app, client.namespace])];
  for (const ns of tries) {
    const ref: AppRef = { context: client.context, namespace: ns, name: app };
    const list = await k.applications.fetchApplications(client, { namespace: ns, signal }).catch((e: unknown) => {
      if (k.errors.isKubeError(e, 'notFound')) return [];
      throw e;
    });
    if (list.some((a) => a.name === app)) return k.applications.fetchApplication(client, ref, { signal });
  }
  throw new OperationRefused(l10n.t('No application {0} in namespace {1} (workloads labelled app.kubernetes.io/part-of={0}). Use app_list to see the applications.', app, tries.join(' or ')));
}

function webOf(d: AppDetail): string {
  if (!d.web) throw new OperationRefused(l10n.t('Application {0} in {1} has no web Deployment (component web).', d.name, d.namespace));
  return d.web;
}

async function follow(k: KubernetesModules, client: KubeClient, d: AppDetail, progress: Progress, signal: AbortSignal): Promise<RolloutStatus> {
  try {
    return await k.rollout.waitForRollout(client, d.namespace, 'deployments', webOf(d), { signal, onProgress: (s) => progress.report(s.message) });
  } catch (e) {
    if (k.rollout.isRolloutError(e)) throw new Error(l10n.t('The rollout of {0}/{1} failed ({2}): {3}', d.namespace, webOf(d), e.reason, e.message));
    throw e;
  }
}

export const list: Operation<{ context?: string; namespace?: string; app?: string }> = {
  id: 'app_list',
  title: 'List applications',
  description: 'Lists the applications of a Kubernetes context (workloads sharing the app.kubernetes.io/part-of label, per namespace) with their rollout. With `app`, describes that one: rollout (desired/updated/ready/available), image, pods, endpoints behind its Service, ingress URL, database (external host:port/db or the PostgreSQL StatefulSet with its claim; never credentials) and recent events.',
  area: 'kubernetes',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { context: contextField, namespace: namespaceField, app: appField }, additionalProperties: false },
  async prepare(input, host) {
    return {
      async run(_p, signal) {
        const { k, client } = await connect(host, input.context);
        if (input.app) {
          const d = await resolve(k, client, input.app, input.namespace, signal);
          return { text: detailLines(d).join('\n'), data: d };
        }
        const apps = await k.applications.fetchApplications(client, { namespace: input.namespace, signal });
        return { text: apps.map((a) => k.applications.applicationLine(a)).join('\n') || l10n.t('No applications in {0}.', input.namespace ?? l10n.t('any namespace')), data: apps };
      },
    };
  },
};

export const scale: Operation<{ context?: string; namespace?: string; app: string; replicas: number }> = {
  id: 'app_scale',
  title: 'Scale an application',
  description: 'Sets the replica count of an application\'s web Deployment and waits until the rollout is complete (or reports why it failed).',
  area: 'kubernetes',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { context: contextField, namespace: namespaceField, app: appField, replicas: { type: 'integer', minimum: 0, maximum: 1000 } }, required: ['app', 'replicas'], additionalProperties: false },
  async prepare(input, host) {
    const { k, client } = await connect(host, input.context);
    const d = await resolve(k, client, input.app, input.namespace);
    const web = webOf(d);
    return {
      confirmation: l10n.t('Scale application {0} ({1}, deployment {2}) on {3} from {4} to {5} replicas?', d.name, d.namespace, web, client.context, d.rollout?.desired ?? '?', input.replicas),
      cluster: client.context,
      target: `app/${d.namespace}/${d.name}`,
      async run(progress, signal) {
        await k.actions.scale(client, 'deployments', d.namespace, web, input.replicas);
        const s = await follow(k, client, d, progress, signal);
        return { text: l10n.t('{0}/{1}: {2} of {3} replicas available.', d.namespace, d.name, s.available, s.desired), data: s };
      },
    };
  },
};

export const setImage: Operation<{ context?: string; namespace?: string; app: string; image: string; container?: string }> = {
  id: 'app_set_image',
  title: 'Set an application\'s image',
  description: 'Rolling update of an application\'s web Deployment to another image (one container, default `app` or the only one), followed to the end: reports success or the failure reason (e.g. ProgressDeadlineExceeded when the new pods never become ready).',
  area: 'kubernetes',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { context: contextField, namespace: namespaceField, app: appField, image: { type: 'string', minLength: 1, maxLength: 512, description: 'Image reference, e.g. ghcr.io/owner/app:1.2.3' }, container: { type: 'string', maxLength: 63, pattern: dns } }, required: ['app', 'image'], additionalProperties: false },
  async prepare(input, host) {
    const { k, client } = await connect(host, input.context);
    let image: string;
    try { image = k.rollout.checkImage(input.image); } catch (e) { throw new OperationRefused((e as Error).message); }
    const d = await resolve(k, client, input.app, input.namespace);
    const web = webOf(d);
    const container = input.container ?? (d.containers.find((c) => c.name === 'app') ?? (d.containers.length === 1 ? d.containers[0] : undefined))?.name;
    const current = d.containers.find((c) => c.name === container);
    if (!container || !current) throw new OperationRefused(l10n.t('Name the container: deployment {0} has {1}.', web, d.containers.map((c) => c.name).join(', ') || l10n.t('none')));
    if (current.image === image) throw new OperationRefused(l10n.t('{0} already runs {1}.', `${d.namespace}/${d.name}`, image));
    return {
      confirmation: l10n.t('Roll application {0} ({1}) on {2} from {3} to {4}?', d.name, d.namespace, client.context, current.image, image),
      cluster: client.context,
      target: `app/${d.namespace}/${d.name}`,
      async run(progress, signal) {
        await k.rollout.setImage(client, d.namespace, 'deployments', web, container, image);
        const s = await follow(k, client, d, progress, signal);
        return { text: l10n.t('{0}/{1} now runs {2}: {3} of {4} replicas updated and available.', d.namespace, d.name, image, s.available, s.desired), data: s };
      },
    };
  },
};

export const restart: Operation<{ context?: string; namespace?: string; app: string }> = {
  id: 'app_restart',
  title: 'Restart an application',
  description: 'Rollout restart of an application\'s web Deployment (every pod replaced, as `kubectl rollout restart`), followed until the new pods are available.',
  area: 'kubernetes',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { context: contextField, namespace: namespaceField, app: appField }, required: ['app'], additionalProperties: false },
  async prepare(input, host) {
    const { k, client } = await connect(host, input.context);
    const d = await resolve(k, client, input.app, input.namespace);
    const web = webOf(d);
    return {
      confirmation: l10n.t('Restart every pod of application {0} ({1}, deployment {2}) on {3}?', d.name, d.namespace, web, client.context),
      cluster: client.context,
      target: `app/${d.namespace}/${d.name}`,
      async run(progress, signal) {
        await k.actions.restart(client, 'deployments', d.namespace, web);
        const s = await follow(k, client, d, progress, signal);
        return { text: l10n.t('{0}/{1} restarted: {2} of {3} replicas available.', d.namespace, d.name, s.available, s.desired), data: s };
      },
    };
  },
};
