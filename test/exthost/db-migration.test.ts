// Migrate Database to StatefulSet inside the real extension host: the command with its questions,
// terminal step table, progress and offers, against the Kubernetes test server whose pods' exec run
// the real PostgreSQL tools against real servers on loopback (the helper pod reaches the "external"
// source, hacky-stack-postgres-0 the target). The TEST's own checksums compare both sides after the
// migration and after the rollback. Also: a second migration while one runs, a run stopped after a
// step and resumed from the recorded state (what a reloaded window reads), a host that died mid-step,
// the app not becoming ready after the switch (rollback offered and taken), and a scan of every
// terminal, log, journal line and file for the passwords.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import { startK8sServer, type K8sTestServer } from '../k8s-server';
import { startPostgres, type PgServer } from '../harness/postgres';
import { checksumDatabase, diffChecksums, fillDatabase, type DataChecksums } from '../harness/pg-data';
import { KubeClient } from '../../src/providers/kubernetes/client';
import { connectionFor, loadKubeconfig } from '../../src/providers/kubernetes/kubeconfig';
import { applyKit, loadKit, renderKit } from '../../src/providers/apps/kit';
import { waitForRollout } from '../../src/providers/kubernetes/rollout';
import type { MigrationState } from '../../src/providers/postgres/migration-state';
import type { ActivityRecord } from '../../src/services/activity';
import { activateHomelab, runScripted } from './util';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually<T>(fn: () => T | Promise<T>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}: ${(e as Error).message}`);
      await sleep(50);
    }
  }
}

const MIGRATE = 'homelab.kubernetes.migrateDatabase';
const ROLLBACK = 'homelab.kubernetes.rollbackDatabaseMigration';

describe('Database migration to the StatefulSet (extension host, real PostgreSQL)', function () {
  this.timeout(300_000);
  let api: HomelabApi;
  let server: K8sTestServer;
  let client: KubeClient;
  let source: PgServer;
  let target: PgServer;
  let sums: DataChecksums;
  let tmp: string;
  const generated = new Set<string>();
  const records: ActivityRecord[] = [];
  const terminalTexts: string[] = [];
  const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
  const root = () => vscode.extensions.getExtension('homelab.homelab')!.extensionPath;

  before(async function () {
    api = await activateHomelab();
    tmp = join(tmpdir(), `homelab-dbmig-${randomBytes(3).toString('hex')}`);
    mkdirSync(tmp, { recursive: true });
    server = await startK8sServer({ podReadyDelayMs: 50, bookmarkIntervalMs: 500 });
    const kubeconfig = server.writeKubeconfig(join(tmp, 'config'), { contexts: [{ name: 'lab', server: server.url, caPem: server.caPem, token: server.token }], currentContext: 'lab' });
    client = new KubeClient(connectionFor(loadKubeconfig({ paths: [kubeconfig] })));
    await vscode.workspace.getConfiguration('homelab.kubernetes').update('kubeconfig', [kubeconfig], vscode.ConfigurationTarget.Global);
    await client.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer',
      metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    } });
    server.provisionClass('local-path');
    source = await startPostgres({ user: 'hacky', database: 'hackystack' });
    target = await startPostgres({ user: 'hacky', database: 'hackystack' });
    await fillDatabase(source, { rows: 100_000 });
    sums = await checksumDatabase(source);
    api.migrations.tuning.targetFromPod = { host: '127.0.0.1', port: target.port };
    api.migrations.tuning.readyMs = 30_000;
    api.activity.onDidRecord((r) => records.push(r));
  });

  after(async () => {
    api.migrations.tuning.targetFromPod = undefined;
    api.migrations.tuning.stopAfter = undefined;
    await vscode.workspace.getConfiguration('homelab.kubernetes').update('kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await Promise.race([server?.close(), sleep(5000)]);
    await source?.stop();
    await target?.stop();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(join(ws(), 'homelab', 'migrations'), { recursive: true, force: true });
    rmSync(join(ws(), 'homelab', 'backups'), { recursive: true, force: true });
  });

  /** A namespace holding the basic kit against the source, its pods' exec bound to the local tools. */
  async function appNamespace(): Promise<string> {
    const ns = `mig-${randomBytes(3).toString('hex')}`;
    await applyKit(client, renderKit(loadKit(root(), 'basic'), {
      namespace: ns, image: 'localhost/hacky-stack', tag: 'test', replicas: 1,
      appSecrets: { NEXTAUTH_SECRET: 'n'.repeat(32), GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'gh', DATABASE_URL: source.url },
    }));
    server.bindExec(ns, 'hacky-stack-db-migrate', {});
    server.bindExec(ns, 'hacky-stack-postgres-0', {});
    await waitForRollout(client, ns, 'deployments', 'hacky-stack', { timeoutMs: 20_000 });
    return ns;
  }

  /** What the postgres image does on first start: the role gets the generated password. */
  function adoptPassword(ns: string): { stop(): Promise<void> } {
    let stopped = false;
    const done = (async () => {
      while (!stopped) {
        const sec = await client.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/secrets/hacky-stack-postgres-credentials`).catch(() => undefined);
        const pw = sec?.data?.POSTGRES_PASSWORD && Buffer.from(sec.data.POSTGRES_PASSWORD, 'base64').toString();
        if (pw) { generated.add(pw); await target.psql(`ALTER ROLE hacky PASSWORD '${pw.replace(/'/g, "''")}'`, { database: 'postgres' }); return; }
        await sleep(50);
      }
    })();
    return { stop: async () => { stopped = true; await done; } };
  }

  const url = async (ns: string, name = 'hacky-stack-secrets') => Buffer.from((await client.request<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/secrets/${name}`)).data.DATABASE_URL, 'base64').toString();
  const stateFile = (ns: string) => join(ws(), 'homelab', 'migrations', `${ns}.hacky-stack.json`);
  const readState = (ns: string) => JSON.parse(readFileSync(stateFile(ns), 'utf8')) as MigrationState;
  const app = (ns: string) => ({ context: 'lab', namespace: ns, app: 'hacky-stack' });
  const keepTerminals = () => { for (const t of api.operations.terminals.open) terminalTexts.push(t.pty.output); };

  it('migrates from the palette (wizard), refuses a second run meanwhile, and rolls back: test checksums equal on both sides', async () => {
    const ns = await appNamespace();
    const pw = adoptPassword(ns);
    const running = new Promise<void>((res) => { const d = api.migrations.onDidChange((s) => { if (s.namespace === ns && s.status === 'running' && s.steps[1].status === 'running') { d.dispose(); res(); } }); });
    // context, namespace, application, StorageClass, image, summary
    const first = runScripted<MigrationState>(api, MIGRATE, ['lab', ns, 'hacky-stack', 'Default StorageClass', 'postgres:15', 'confirm']);
    await running;
    const second = await runScripted(api, MIGRATE, [], app(ns));
    assert.match(second.failure ?? '', /A database migration of hacky-stack in namespace "mig-[0-9a-f]+" is already running/);
    const { result, failure } = await first;
    await pw.stop();
    // runScripted listens to failures of the command id: the only one seen is the refused second run
    assert.equal(failure, second.failure);
    assert.equal(result?.status, 'switched');
    assert.deepEqual(diffChecksums(sums, await checksumDatabase(target)), [], 'target equals source (the test\'s own checksums)');
    assert.match(await url(ns), new RegExp(`@hacky-stack-postgres\\.${ns}\\.svc\\.cluster\\.local:5432/hackystack$`));
    const state = readState(ns);
    assert.ok(state.steps.every((s) => s.status === 'done'), JSON.stringify(state.steps));
    assert.ok(state.backup && existsSync(join(ws(), state.backup.file)) && existsSync(join(ws(), `${state.backup.file}.sha256`)));
    assert.match(readFileSync(join(ws(), 'homelab', 'backups', '.gitignore'), 'utf8'), /^\*$/m);
    // the step table in the terminal, every step done
    const term = api.operations.terminals.open.filter((t) => t.name.startsWith('Migrate hacky-stack')).pop()!;
    const table = (term.pty as unknown as { lastTable: string[] }).lastTable;
    assert.equal(table.length, 7);
    assert.ok(table.slice(1).every((l) => /\sdone\s/.test(l)), table.join('\n'));
    // the journal line: counts and checksums per table
    const rec = records.find((r) => r.what === 'Migrate database to StatefulSet' && r.target === `${ns}/hacky-stack`)!;
    assert.ok(rec, 'an activity record');
    assert.match(rec.result, /^ok: \d+ tables, \d+ rows; backup homelab\/backups\/hacky-stack-.*\.dump sha256 [0-9a-f]{64}/);
    assert.match(rec.result, /app\.users 100000 rows \S+/);

    const back = await runScripted<MigrationState>(api, ROLLBACK, ['Roll Back'], app(ns));
    assert.equal(back.failure, undefined);
    assert.equal(await url(ns), source.url, 'DATABASE_URL restored');
    assert.equal(readState(ns).status, 'rolled-back');
    assert.deepEqual(diffChecksums(sums, await checksumDatabase(source)), [], 'the source was never written');
    assert.deepEqual(diffChecksums(sums, await checksumDatabase(target)), []);
    keepTerminals();
  });

  it('stopped after a step, resumes from the recorded step (as a reloaded window does); a dead host\'s run is resumable, a live one is refused', async () => {
    const ns = await appNamespace();
    const pw = adoptPassword(ns);
    api.migrations.tuning.stopAfter = 'backup';
    try {
      const r = await runScripted<MigrationState>(api, MIGRATE, ['Default StorageClass', 'postgres:15', 'confirm'], app(ns));
      assert.equal(r.failure, undefined);
    } finally { api.migrations.tuning.stopAfter = undefined; }
    const stopped = readState(ns);
    assert.equal(stopped.status, 'stopped');
    assert.deepEqual(stopped.steps.map((s) => s.status), ['done', 'done', 'pending', 'pending', 'pending', 'pending']);

    // another window holds it (fresh heartbeat): refused, nothing asked
    const held = { ...stopped, status: 'running', owner: { session: 'another-window', heartbeatAt: new Date().toISOString() } };
    writeFileSync(stateFile(ns), JSON.stringify(held));
    const refused = await runScripted(api, MIGRATE, [], app(ns));
    assert.match(refused.failure ?? '', /already running/);
    // that host died mid-step (stale heartbeat): the command offers to resume from the recorded step
    writeFileSync(stateFile(ns), JSON.stringify({ ...held, owner: { session: 'another-window', heartbeatAt: new Date(Date.now() - 600_000).toISOString() } }));
    const dumpsBefore = readdirSync(join(ws(), 'homelab', 'backups')).filter((f) => f.endsWith('.dump')).length;
    const resumed = await runScripted<MigrationState>(api, MIGRATE, ['Resume'], app(ns));
    await pw.stop();
    assert.equal(resumed.failure, undefined);
    assert.ok(api.prompts.asked.some((q) => /stopped at step "Deploy StatefulSet"/.test(q)), api.prompts.asked.join(' | '));
    assert.equal(resumed.result?.status, 'switched');
    assert.equal(readdirSync(join(ws(), 'homelab', 'backups')).filter((f) => f.endsWith('.dump')).length, dumpsBefore, 'the backup was not made again');
    assert.deepEqual(diffChecksums(sums, await checksumDatabase(target)), []);
    keepTerminals();
  });

  it('the app not becoming ready after the switch: rollback is offered, taken, the Secret restored and the app restarted', async () => {
    const ns = await appNamespace();
    const pw = adoptPassword(ns);
    api.migrations.tuning.stopAfter = 'verify';
    try {
      await runScripted(api, MIGRATE, ['Default StorageClass', 'postgres:15', 'confirm'], app(ns));
    } finally { api.migrations.tuning.stopAfter = undefined; }
    await pw.stop();
    const patchImage = (tag: string) => client.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/hacky-stack`, { body: { spec: { template: { spec: { containers: [{ name: 'app', image: `localhost/hacky-stack:${tag}` }] } } } }, contentType: 'application/strategic-merge-patch+json' });
    await patchImage('broken');
    // once the switch is recorded as failed, the app's trouble goes away (as with the old database)
    const sub = api.migrations.onDidChange((s) => { if (s.namespace === ns && s.steps[5].status === 'failed') void patchImage('test'); });
    api.migrations.tuning.readyMs = 3000;
    let r: { result?: MigrationState; failure?: string };
    try {
      r = await runScripted<MigrationState>(api, MIGRATE, ['Resume', 'Roll Back'], app(ns));
    } finally { sub.dispose(); api.migrations.tuning.readyMs = 30_000; }
    assert.equal(r.failure, undefined);
    assert.ok(api.prompts.asked.some((q) => /The switch of hacky-stack failed/.test(q)));
    assert.equal(await url(ns), source.url, 'Secret restored');
    assert.equal(readState(ns).status, 'rolled-back');
    const dep = await client.request<{ spec: { template: { metadata?: { annotations?: Record<string, string> } } } }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/hacky-stack`);
    assert.ok(dep.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], 'restarted');
    keepTerminals();
  });

  it('no password in any terminal, log, journal record, state file or workspace file', () => {
    keepTerminals();
    const secrets = [source.password, target.password, ...generated];
    assert.ok(generated.size >= 3);
    const hits: string[] = [];
    const scan = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) scan(p);
        else if (e.isFile() && !p.endsWith('.dump')) { const t = readFileSync(p, 'latin1'); for (const s of secrets) if (t.includes(s)) hits.push(p); }
      }
    };
    scan(join(ws(), 'homelab'));
    scan(resolve(dirname(api.logUri.fsPath)));
    for (const t of [...terminalTexts, ...records.map((r) => JSON.stringify(r))]) for (const s of secrets) if (t.includes(s)) hits.push('terminal or journal');
    assert.ok(terminalTexts.join('').length > 100 && records.length >= 3, 'there was something to scan');
    assert.deepEqual(hits, []);
  });
});
