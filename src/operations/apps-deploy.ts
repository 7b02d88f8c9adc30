// app_deploy: Deploy Application (the Hacky Stack kit) as a catalog entry, the same engine as the
// palette's wizard. Secrets are inputs (NEXTAUTH_SECRET, the GitHub client, DATABASE_URL, the
// PostgreSQL password): they go to the API in a Secret and never into the confirmation, the result
// or the audit line (catalog.ts hides their fields; the engine scrubs its lines and errors).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from './kubernetes';
import { l10n } from './l10n';
import { OperationRefused, type JsonSchema, type Operation } from './types';

type Input = {
  context?: string; level: 'basic' | 'intermediate'; namespace?: string; image: string; tag: string; replicas?: number;
  ingressClass?: string; databaseImage?: string; storageClass?: string;
  nextAuthSecret?: string; nextAuthUrl?: string; githubClientId: string; githubClientSecret: string; databaseUrl?: string; databasePassword?: string;
};

const secret = (description: string): JsonSchema => ({ type: 'string', minLength: 1, maxLength: 4096, description });

/** The extension's root (resources/k8s/hacky-stack): dist/ in the bundles, src/operations/ under tsx. */
function kitRoot(): string {
  for (const root of [join(__dirname, '..'), join(__dirname, '..', '..')]) if (existsSync(join(root, 'resources', 'k8s', 'hacky-stack'))) return root;
  throw new OperationRefused(l10n.t('The application kit (resources/k8s/hacky-stack) is not installed with this build.'));
}

export const appDeploy: Operation<Input> = {
  id: 'app_deploy',
  title: 'Deploy the Hacky Stack application',
  description: 'Deploys the Hacky Stack app (Next.js + GitHub OAuth + PostgreSQL) from Homelab\'s kit: level "basic" uses an external PostgreSQL (databaseUrl required), "intermediate" runs PostgreSQL in a StatefulSet. Checks that the namespace is free or already the app\'s, server-side applies the objects in dependency order (each created/configured/unchanged), waits for the rollout by watch, then checks health (ready endpoints, Ingress address, database). NEXTAUTH_SECRET and the PostgreSQL password are generated when left out. Secret inputs are never echoed.',
  area: 'kubernetes',
  effect: 'sideEffect',
  inputSchema: {
    type: 'object',
    properties: {
      context: { type: 'string', maxLength: 253, description: 'kubeconfig context; default: the current context.' },
      level: { type: 'string', enum: ['basic', 'intermediate'] },
      namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Default hacky-stack.' },
      image: { type: 'string', minLength: 1, maxLength: 255, description: 'App image without tag, e.g. ghcr.io/me/hacky-stack.' },
      tag: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' },
      replicas: { type: 'integer', minimum: 1, maximum: 50, default: 2 },
      ingressClass: { type: 'string', maxLength: 253, description: 'Default: detected (the cluster default class, Traefik on K3s, else nginx).' },
      databaseImage: { type: 'string', maxLength: 255, description: 'PostgreSQL image for the intermediate level; default postgres:15.' },
      storageClass: { type: 'string', maxLength: 253, description: 'StorageClass of the database volume; default: the cluster default.' },
      nextAuthSecret: secret('NEXTAUTH_SECRET; generated (32 random bytes) when left out.'),
      nextAuthUrl: { type: 'string', maxLength: 2048, description: 'Default https://hackystack.local.' },
      githubClientId: secret('GitHub OAuth App client id.'),
      githubClientSecret: secret('GitHub OAuth App client secret.'),
      databaseUrl: secret('basic: the external PostgreSQL, postgresql://USER:PASSWORD@HOST:5432/DATABASE.'),
      databasePassword: secret('intermediate: the StatefulSet database password; generated when left out.'),
    },
    required: ['level', 'image', 'tag', 'githubClientId', 'githubClientSecret'],
    additionalProperties: false,
  },
  async prepare(input, host) {
    const { k, client } = await connect(host, input.context);
    const a = k.apps;
    let req;
    let raw;
    try {
      raw = { level: input.level, params: {
        namespace: input.namespace, image: input.image, tag: input.tag, replicas: input.replicas, ingressClass: input.ingressClass, storageClass: input.storageClass,
        databaseImage: input.level === 'intermediate' ? input.databaseImage ?? 'postgres:15' : undefined,
        appSecrets: { NEXTAUTH_SECRET: input.nextAuthSecret, NEXTAUTH_URL: input.nextAuthUrl, GITHUB_CLIENT_ID: input.githubClientId, GITHUB_CLIENT_SECRET: input.githubClientSecret, DATABASE_URL: input.level === 'basic' ? input.databaseUrl : undefined },
        databaseCredentials: input.level === 'intermediate' && input.databasePassword ? { POSTGRES_PASSWORD: input.databasePassword } : undefined,
      } };
      req = a.completeRequest(raw);
      a.renderKit(a.loadKit(kitRoot(), input.level), req.params);
    } catch (e) {
      if (e instanceof OperationRefused) throw e;
      throw new OperationRefused(a.scrubber(a.secretValues({ appSecrets: { DATABASE_URL: input.databaseUrl, NEXTAUTH_SECRET: input.nextAuthSecret, GITHUB_CLIENT_SECRET: input.githubClientSecret, GITHUB_CLIENT_ID: input.githubClientId }, databaseCredentials: { POSTGRES_PASSWORD: input.databasePassword } }))((e as Error).message));
    }
    const ns = req.params.namespace!;
    const kit = a.loadKit(kitRoot(), input.level);
    const problems = await a.checkNamespaceOwnership(client, ns, a.renderKit(kit, { ...req.params, ingressClass: req.params.ingressClass ?? null }));
    if (problems.length) throw new OperationRefused(l10n.t('Namespace "{0}" is not hacky-stack\'s: {1}. Nothing was changed.', ns, problems.map((p) => `${p.kind} ${p.name} ${p.reason}`).join('; ')));
    return {
      confirmation: l10n.t('Deploy hacky-stack ({0}) to namespace {1} on {2}: image {3}:{4}, {5} replicas?', input.level, ns, client.context, input.image, input.tag, req.params.replicas ?? 2),
      detail: l10n.t('Objects are server-side applied (field manager homelab); existing objects of the app are updated. The secrets go to the Secret hacky-stack-secrets.'),
      cluster: client.context,
      target: `${ns}/hacky-stack (${input.level})`,
      async run(progress, signal) {
        const lines: string[] = [];
        // the raw request: the engine completes it again with the deployed Secrets' values
        const o = await a.deployApplication(client, kit, raw, { signal, onStep: (s) => progress.report(s), onLine: (l) => lines.push(l) });
        const text = [
          `hacky-stack ${o.level} in ${o.namespace} on ${client.context}: ${o.status}`,
          ...o.objects.map((x) => `${x.kind}/${x.name} ${x.outcome}`),
          ...o.rollout,
          ...o.health.map((h) => `${h.check}: ${h.result}: ${h.detail}`),
        ].join('\n');
        return { text, data: o };
      },
    };
  },
};
