// Deploy Application in the extension host: the wizard (scripted Prompts, with Back and the
// summary), the command with arguments, a re-deploy that changes nothing, and the failures (a
// malformed DATABASE_URL, another application's namespace, RBAC, an image that never gets ready,
// cancellation). At the end every terminal, every log file of the host, the journal, the activity
// records and every result and failure message are scanned for the secret values.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { DeployOutcome } from '../../src/providers/apps/deploy';
import type { ActivityRecord } from '../../src/services/activity';
import type { OpenTerminal } from '../../src/services/terminals';
import { REAL_KUBECONFIG, setupK8sEnv, type K8sEnv } from './k8s-env';
import { activateHomelab, runScripted } from './util';
import { runnableOnlyIf } from '../harness/not-run';

const CMD = 'homelab.kubernetes.deployApplication';
const WS = 'app-deploy-test';
const SECRET = { nextAuthSecret: 'nxa-SECRET-a41f9e2c77', githubClientId: 'ghid-SECRET-5b0c1d', githubClientSecret: 'ghcs-SECRET-93e2aa41', dbPassword: 'dbpw-SECRET-0d7e4c' };
const DATABASE_URL = `postgresql://hacky:${SECRET.dbPassword}@db.lab.example:5432/hacky`;
const SECRET_VALUES = [...Object.values(SECRET), DATABASE_URL];

/** Tests whose app pods must run: the test server runs them; the real test cluster has no hacky-stack image. */
const withPods = (body: () => void) => runnableOnlyIf(!REAL_KUBECONFIG, 'needs the app\'s containers to run (the test server runs pods; a real cluster here has no hacky-stack image)', body);
const serverOnly = (body: () => void) => runnableOnlyIf(!REAL_KUBECONFIG, 'needs the API test server (its fault hooks)', body);

describe('Deploy Application (Hacky Stack kit)', function () {
  this.timeout(120_000);
  let api: HomelabApi;
  let env: K8sEnv;
  let ns: string;
  const extraNamespaces: string[] = [];
  const records: ActivityRecord[] = [];
  const texts: string[] = [];
  const terminalsSeen: OpenTerminal[] = [];
  const subs: vscode.Disposable[] = [];
  const setting = (key: string, value: unknown) => vscode.workspace.getConfiguration('homelab').update(key, value, vscode.ConfigurationTarget.Global);
  const root = () => join(vscode.workspace.workspaceFolders![0].uri.fsPath, WS);

  const args = (o: Record<string, unknown> = {}) => ({
    context: env.context, level: 'basic', namespace: ns, image: 'ghcr.io/me/hacky-stack', tag: 'v1', replicas: 2,
    nextAuthSecret: SECRET.nextAuthSecret, nextAuthUrl: 'https://hackystack.local', githubClientId: SECRET.githubClientId, githubClientSecret: SECRET.githubClientSecret, databaseUrl: DATABASE_URL, ...o,
  });
  const run = async (answers: unknown[], ...a: unknown[]) => {
    const r = await runScripted<DeployOutcome>(api, CMD, answers, ...a);
    texts.push(JSON.stringify(r.result ?? null), r.failure ?? '');
    return r;
  };
  const lastTerminal = () => terminalsSeen[terminalsSeen.length - 1];
  const newNamespace = async (suffix: string, labels: Record<string, string> = {}) => {
    const name = `${ns}-${suffix}`;
    await env.other.request('POST', '/api/v1/namespaces', { body: { metadata: { name, labels: { 'homelab-test': 'true', ...labels } } } });
    extraNamespaces.push(name);
    return name;
  };
  const exists = async (path: string) => env.other.request('GET', path).then(() => true, () => false);

  before(async () => {
    api = await activateHomelab();
    env = await setupK8sEnv();
    ns = env.namespace;
    api.appDeployTuning.healthTimeoutMs = 3000;
    api.appDeployTuning.rolloutTimeoutMs = 30_000;
    if (env.server) {
      // the ingress controller: another client that publishes an address for each new Ingress
      const s = env.server;
      const onEvent = (e: { plural: string; type: string; object: { metadata: { name: string; namespace?: string } } }) => {
        if (e.plural === 'ingresses' && e.type === 'ADDED') setTimeout(() => { try { s.store.setStatus('ingresses', e.object.metadata.namespace, e.object.metadata.name, { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } }); } catch { /* gone */ } }, 20);
      };
      s.store.on('event', onEvent);
      subs.push({ dispose: () => s.store.off('event', onEvent) });
    }
    rmSync(root(), { recursive: true, force: true });
    mkdirSync(join(root(), 'journal'), { recursive: true });
    await setting('journal.folder', `${WS}/journal`);
    await setting('kubernetes.kubeconfig', [env.kubeconfigPath]);
    subs.push(api.activity.onDidRecord((e) => void records.push(e)));
    subs.push(api.operations.terminals.onDidOpen((t) => { if (t.name.startsWith('Deploy hacky-stack')) terminalsSeen.push(t); }));
  });

  after(async () => {
    subs.forEach((s) => s.dispose());
    await new Promise((r) => setTimeout(r, 300)); // the activity file's queued append
    // No secret value in any terminal, log file of this host, journal file, activity record, result or failure.
    const hits: string[] = [];
    const scan = (text: string, where: string) => { for (const v of SECRET_VALUES) if (text.includes(v)) hits.push(`${where}: ${v.slice(0, 8)}…`); };
    for (const t of terminalsSeen) scan(t.pty.output, `terminal ${t.name}`);
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p); else if (e.isFile()) scan(readFileSync(p, 'latin1'), p);
      }
    };
    walk(dirname(api.logUri.fsPath));
    walk(root());
    walk(api.storageUri.fsPath);
    scan(JSON.stringify(records), 'activity records');
    scan(texts.join('\n'), 'results and failures');
    for (const t of vscode.window.terminals) t.dispose();
    await setting('kubernetes.kubeconfig', undefined);
    await setting('journal.folder', undefined);
    for (const n of extraNamespaces) await env.other.request('DELETE', `/api/v1/namespaces/${n}`).catch(() => undefined);
    await env?.close();
    rmSync(root(), { recursive: true, force: true });
    assert.ok(terminalsSeen.length > 0 && records.length > 0, 'there was something to scan');
    assert.deepEqual(hits, []);
  });

  withPods(() => {
    it('Deploy Application: the wizard (Back, summary) deploys the basic level; one terminal shows each step; the journal gets an entry', async () => {
      const before = records.length;
      const r = await run([
        env.context, 'basic', ns, 'ghcr.io/me/hacky-stack', 'v0', '<back>', 'v1', '2',
        SECRET.nextAuthSecret, 'https://hackystack.local', SECRET.githubClientId, SECRET.githubClientSecret, DATABASE_URL, 'confirm',
      ]);
      assert.equal(r.failure, undefined, r.failure);
      const o = r.result!;
      assert.equal(o.status, 'ok');
      assert.deepEqual(o.objects.map((x) => `${x.kind}:${x.outcome}`), ['Namespace:configured', 'ConfigMap:created', 'Secret:created', 'Service:created', 'Deployment:created', 'Ingress:created']);
      const d = await env.other.request<{ spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/hacky-stack`);
      assert.equal(d.spec.template.spec.containers[0].image, 'ghcr.io/me/hacky-stack:v1', 'Back let the tag be answered again');
      assert.ok(api.prompts.asked.some((q) => /Deploy Application: Summary/.test(q)));
      const out = lastTerminal().pty.output;
      for (const re of [/▶ Checking the namespace/, /namespace .*: free for hacky-stack/, /IngressClass /, /▶ Applying the manifests/, /deployment\/hacky-stack created/,
        /▶ Waiting for the rollout/, /deployment\/hacky-stack: 2 of 2 replicas available/, /▶ Checking health/, /endpoints: ok: 2 ready endpoints/, /ingress: ok: .*192\.168\.1\.240/,
        /database: not checked: the app image has no node/, /hacky-stack is deployed to /]) assert.match(out, re);
      const rec = records.slice(before).find((x) => x.what === 'deploy application hacky-stack');
      assert.ok(rec, JSON.stringify(records.slice(before)));
      assert.equal(rec.result, 'ok');
      assert.equal(rec.cluster, env.context);
      await new Promise((res) => setTimeout(res, 300));
      assert.match(readFileSync(join(root(), 'journal', 'activity.md'), 'utf8'), /deploy application hacky-stack/);
    });

    it('Deploy Application: a re-deploy with the same answers (command arguments) reports every object unchanged', async () => {
      const r = await run(['confirm'], args());
      assert.equal(r.failure, undefined, r.failure);
      for (const x of r.result!.objects) assert.equal(x.outcome, 'unchanged', `${x.kind} ${x.name}`);
      assert.deepEqual(api.prompts.asked.slice(-1), ['Deploy Application: Summary'], 'only the summary was asked');
    });
  });

  withPods(() => {
    it('Deploy Application: "Try Again" after a refusal reopens the summary with the answers kept; fixing DATABASE_URL there deploys', async () => {
      const n7 = await newNamespace('retry');
      let retry: (() => Promise<unknown>) | undefined;
      const sub = api.registry.onDidFail((f) => { if (f.command === CMD) retry = f.retry; });
      let r;
      try { r = await run(['confirm'], args({ namespace: n7, databaseUrl: 'postgresql://hacky@db.lab.example:5432' })); } finally { sub.dispose(); }
      assert.match(r.failure ?? '', /database/i);
      assert.ok(retry, 'a refusal offers Try Again');
      assert.equal(await exists(`/apis/apps/v1/namespaces/${n7}/deployments/hacky-stack`), false);
      api.prompts.script('DATABASE_URL', DATABASE_URL, 'confirm');
      const out = await retry() as DeployOutcome | undefined;
      assert.equal(api.prompts.pendingAnswers, 0);
      api.prompts.clearScript();
      texts.push(JSON.stringify(out ?? null));
      assert.equal(out?.status, 'ok');
      assert.deepEqual(api.prompts.asked.slice(-3), ['Deploy Application: Summary', 'Deploy Application: DATABASE_URL', 'Deploy Application: Summary']);
      assert.equal(await exists(`/apis/apps/v1/namespaces/${n7}/deployments/hacky-stack`), true);
    });
  });

  serverOnly(() => {
    it('Deploy Application: an image that never gets ready fails with its reason (from a context row), not followed forever', async () => {
      const n2 = await newNamespace('broken');
      const ctxElement = (await api.kubernetesTree.getChildren()).find((e) => e.kind === 'context' && (e as { context: string }).context === env.context);
      assert.ok(ctxElement, 'the context row');
      const before = records.length;
      const started = Date.now();
      const r = await run(['basic', n2, 'ghcr.io/me/hacky-stack', 'broken', '2', '', 'https://hackystack.local', SECRET.githubClientId, SECRET.githubClientSecret, DATABASE_URL, 'confirm'], ctxElement);
      assert.match(r.failure ?? '', /Deployment hacky-stack did not roll out: ProgressDeadlineExceeded.*ImagePullBackOff/);
      assert.ok(Date.now() - started < 25_000);
      assert.match(lastTerminal().pty.output, /pod hacky-stack-\w+-\w+: ImagePullBackOff/);
      assert.match(records.slice(before).find((x) => x.what === 'deploy application hacky-stack')?.result ?? '', /^failed: Deployment hacky-stack did not roll out/);
    });

    it('Deploy Application: RBAC refusing the namespace is a clear message; nothing is changed', async () => {
      const n3 = `${ns}-rbac`;
      env.server!.forbidNamespace(n3);
      const patches = env.server!.requestCounts.patch;
      const r = await run(['confirm'], args({ namespace: n3 }));
      assert.match(r.failure ?? '', /Kubernetes refused to let you read namespace ".*-rbac" \(RBAC\).*Nothing was changed/);
      assert.equal(env.server!.requestCounts.patch, patches);
    });
  });

  it('Deploy Application: a malformed DATABASE_URL is refused with a clear message; nothing is changed; no secret echoed', async () => {
    const n4 = `${ns}-badurl`;
    const r = await run(['confirm'], args({ namespace: n4, databaseUrl: `mysql://hacky:${SECRET.dbPassword}@db/hacky` }));
    assert.match(r.failure ?? '', /postgresql:\/\//);
    assert.equal(await exists(`/api/v1/namespaces/${n4}`), false, 'no namespace was created');
  });

  it('Deploy Application: a namespace that belongs to another application is refused; nothing in it is changed', async () => {
    const n5 = await newNamespace('wiki', { 'app.kubernetes.io/part-of': 'wiki' });
    await env.other.request('POST', `/api/v1/namespaces/${n5}/configmaps`, { body: { metadata: { name: 'hacky-stack-config' }, data: { theirs: 'yes' } } });
    const r = await run(['confirm'], args({ namespace: n5 }));
    assert.match(r.failure ?? '', /Namespace ".*-wiki" is not hacky-stack's: Namespace .* is part of "wiki"; ConfigMap hacky-stack-config exists and is not labelled/);
    const cm = await env.other.request<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${n5}/configmaps/hacky-stack-config`);
    assert.deepEqual(cm.data, { theirs: 'yes' });
    assert.equal(await exists(`/apis/apps/v1/namespaces/${n5}/deployments/hacky-stack`), false);
  });

  it('Deploy Application: Ctrl+C in the terminal while the rollout is followed cancels it; the journal says cancelled', async () => {
    const n6 = await newNamespace('cancel');
    const before = records.length;
    // press Ctrl+C as soon as the rollout step begins (the pods of a :broken image never get ready)
    const sub = api.operations.terminals.onDidOpen((t) => {
      const pty = t.pty as unknown as { onDidWriteText(l: (e: { text: string }) => void): vscode.Disposable; handleInput(d: string): void };
      const w = pty.onDidWriteText((e) => { if (e.text.includes('Waiting for the rollout')) { w.dispose(); pty.handleInput('\x03'); } });
    });
    try {
      const r = await run(['confirm'], args({ namespace: n6, tag: 'broken' }));
      assert.equal(r.failure, undefined, 'a cancellation is not a failure');
      assert.equal(r.result, undefined);
    } finally { sub.dispose(); }
    assert.match(lastTerminal().pty.output, /Cancelled\. Objects applied before the cancellation stay applied/);
    assert.equal(records.slice(before).find((x) => x.what === 'deploy application hacky-stack')?.result, 'cancelled');
  });
});
