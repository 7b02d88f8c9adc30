// The operations catalog as language-model tools, called the way an agent does: vscode.lm.invokeTool
// for every tool against the Proxmox simulator, the Kubernetes API test server and a journal in the
// workspace. VS Code skips its confirmation dialog in extension tests, so the confirmations are read
// from prepareInvocation directly: present exactly for the tools that change something.
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import { startSimulator, type Simulator, type Guest } from '../proxmox-sim';
import { setupK8sEnv, deployment, type K8sEnv } from './k8s-env';
import { addCluster, closeTerminals } from './ops-util';
import { activateHomelab, runScripted } from './util';

const C = 'agents';
const WS = 'agent-ws';

describe('Agent tools: the catalog as language-model tools (vscode.lm.invokeTool)', function () {
  this.timeout(90_000);
  let api: HomelabApi;
  let sim: Simulator;
  let env: K8sEnv;
  let root: string;
  const results: string[] = [];
  const records: Array<{ what: string; result: string; target?: string; cluster?: string }> = [];
  let recording: vscode.Disposable | undefined;
  const manifest = () => (vscode.extensions.getExtension('homelab.homelab')!.packageJSON.contributes.languageModelTools as Array<{ name: string; tags: string[] }>);
  const effect = (name: string) => manifest().find((t) => t.name === name)!.tags.find((t) => ['readOnly', 'sideEffect', 'destructive'].includes(t));
  const setting = (key: string, value: unknown) => vscode.workspace.getConfiguration('homelab').update(key, value, vscode.ConfigurationTarget.Global);

  const used = new Set<number>();
  const take = (pred: (g: Guest) => boolean) => {
    const g = [...sim.state.guests.values()].find((x) => !x.conf.template && !x.conf.lock && x.type === 'qemu' && !used.has(x.vmid) && pred(x));
    assert.ok(g, 'a guest that fits');
    used.add(g.vmid);
    return g;
  };

  async function call(name: string, input: object): Promise<string> {
    const r = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined }, new vscode.CancellationTokenSource().token);
    const text = r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
    results.push(text);
    return text;
  }

  const confirmText = (p: vscode.PreparedToolInvocation) => {
    const m = p.confirmationMessages?.message;
    return typeof m === 'string' ? m : m?.value ?? '';
  };

  async function confirmation(name: string, input: object): Promise<vscode.PreparedToolInvocation> {
    const p = await api.agentTools().prepareInvocation(name, { input }, new vscode.CancellationTokenSource().token);
    const declared = effect(name);
    if (declared === 'readOnly') assert.equal(p.confirmationMessages, undefined, `${name} is read-only: no confirmation`);
    else assert.ok(p.confirmationMessages?.title && p.confirmationMessages.message, `${name} changes something: it confirms`);
    if (declared === 'destructive') assert.match(confirmText(p), /cannot be undone/);
    return p;
  }

  /** Checks the confirmation, invokes, and checks the audit line. */
  async function tool(name: string, input: object, confirmRe?: RegExp): Promise<string> {
    const p = await confirmation(name, input);
    if (confirmRe) assert.match(confirmText(p), confirmRe, name);
    const before = records.length;
    const text = await call(name, input);
    const line = records.slice(before).find((r) => r.what === `VS Code tool · ${name}`);
    assert.ok(line, `${name}: an audit line (${JSON.stringify(records.slice(before))})`);
    assert.equal(line.result, 'ok', name);
    return text;
  }

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 2, guests: 24, seed: 33, taskDurationMs: 150, agentBootDelayMs: 0, authFailDelayMs: 50 });
    await addCluster(api, sim, C);
    env = await setupK8sEnv();
    await env.other.request('POST', `/apis/apps/v1/namespaces/${env.namespace}/deployments`, { body: deployment('web', env.namespace, 1) });
    await setting('kubernetes.kubeconfig', [env.kubeconfigPath]);
    root = join(vscode.workspace.workspaceFolders![0].uri.fsPath, WS);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, 'journal'), { recursive: true });
    writeFileSync(join(root, 'LEARNING_TRACKER.md'), '# Tracker\n\n## Epic 0.1: Agents\n\n| ID | User Story | Status |\n|----|------------|--------|\n| 0.1.1 | Clone a VM by asking | Todo |\n');
    await setting('journal.folder', `${WS}/journal`);
    recording = api.activity.onDidRecord((e) => void records.push(e));
  });

  after(async () => {
    recording?.dispose();
    await closeTerminals(api);
    // No secret in play in any tool result or audit line.
    const all = [...results, ...records.map((r) => JSON.stringify(r)), readFileSync(join(root, 'journal/activity.md'), 'utf8')].join('\n');
    for (const secret of [sim.tokenSecret, env.server?.token].filter(Boolean) as string[]) assert.ok(!all.includes(secret), 'a secret leaked');
    await setting('kubernetes.kubeconfig', undefined);
    await setting('journal.folder', undefined);
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await env?.close();
    await sim?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('registers every catalog entry as a tool, in the homelab tool set', () => {
    const names = manifest().map((t) => t.name);
    const registered = vscode.lm.tools.filter((t) => t.tags.includes('homelab')).map((t) => t.name).sort();
    assert.deepEqual(registered, [...names].sort());
    for (const t of vscode.lm.tools.filter((x) => x.tags.includes('homelab'))) assert.equal((t.inputSchema as { type?: string }).type, 'object', t.name);
  });

  it('Proxmox read tools: inventory and guest details', async () => {
    const g = take((x) => x.status === 'running');
    assert.match(await tool('proxmox_inventory', {}), new RegExp(`cluster ${C} \\(${C}\\): 2 nodes, 24 guests`));
    const details = await tool('proxmox_guest_details', { vmid: g.vmid });
    assert.match(details, new RegExp(`VM "${g.conf.name}" \\(${g.vmid}\\) on ${g.node}: running`));
    const tpl = [...sim.state.guests.values()].find((x) => x.conf.template && x.type === 'qemu')!;
    const vms = sim.state.guests.size;
    assert.match(await tool('cluster_deploy_plan', { name: 'k1', template: tpl.vmid, workers: 2 }), /Plan for cluster k1 .*dry run[\s\S]*k1-cp-1 control-plane on pve\d[\s\S]*k1-worker-2 worker/);
    assert.equal(sim.state.guests.size, vms, 'a plan creates nothing');
    assert.match(await tool('pipeline_status', {}), /pipeline|No NixOS template pipeline/);
  });

  it('power tools start, reboot, suspend, resume, shut down and stop guests, each confirmed with its state', async () => {
    const stopped = take((x) => x.status === 'stopped');
    assert.match(await tool('proxmox_start_guest', { vmid: stopped.vmid }, new RegExp(`^Start VM "${stopped.conf.name}" \\(${stopped.vmid}\\) on ${stopped.node} \\(stopped\\)\\?`)), /start OK/);
    assert.equal(stopped.status, 'running');
    const terminal = api.operations.terminals.open.find((t) => t.name.startsWith(`Start VM ${stopped.vmid} `));
    assert.ok(terminal, 'the task ran in its terminal, as from the palette');
    const tasks = await tool('proxmox_tasks', { vmid: stopped.vmid, limit: 3 });
    const upid = /^(UPID:\S+:qmstart:\S+)/m.exec(tasks)?.[1];
    assert.ok(upid, tasks);
    assert.match(await tool('proxmox_task_log', { upid }), /qmstart \d+ on pve\d: stopped: OK/);
    await tool('proxmox_reboot_guest', { vmid: stopped.vmid }, /^Reboot VM .* \(running/);
    await tool('proxmox_suspend_guest', { vmid: stopped.vmid });
    await tool('proxmox_resume_guest', { vmid: stopped.vmid });
    await tool('proxmox_shutdown_guest', { vmid: stopped.vmid });
    assert.equal(stopped.status, 'stopped');
    const running = take((x) => x.status === 'running');
    await tool('proxmox_stop_guest', { vmid: running.vmid }, /pulling the power plug/);
    assert.equal(running.status, 'stopped');
  });

  it('a template refuses to start (no task), and bad input is an error naming the field', async () => {
    const tpl = [...sim.state.guests.values()].find((x) => x.conf.template)!;
    const tasks = sim.state.tasks.length;
    await assert.rejects(call('proxmox_start_guest', { vmid: tpl.vmid }), /is a template: templates cannot be started/);
    assert.equal(sim.state.tasks.length, tasks);
    await assert.rejects(call('proxmox_guest_details', { vmid: 'abc' }), /vmid/);
    // The lab-wide side effects (their runs: agent-tools-lab.test.ts): bad input names the field.
    await assert.rejects(call('pipeline_start', { node: 'bad node;' }), /node/);
    await assert.rejects(call('cluster_deploy_apply', { name: 'k1', template: tpl.vmid }), /sshPublicKeyPath/);
    assert.equal(sim.state.tasks.length, tasks);
    assert.ok(records.some((r) => r.what === 'VS Code tool · proxmox_start_guest' && /^refused: /.test(r.result)));
  });

  it('clones from a template with cloud-init, takes and rolls back a snapshot, migrates and deletes', async () => {
    const tpl = [...sim.state.guests.values()].find((x) => x.conf.template && x.type === 'qemu')!;
    const cloned = await tool('proxmox_clone_template', { template: tpl.vmid, name: 'tool-web1', ip: 'dhcp', cores: 2 }, new RegExp(`^Clone template "${tpl.conf.name}" \\(${tpl.vmid}\\).* to a new VM "tool-web1"`));
    const id = Number(/Created VM (\d+)/.exec(cloned)![1]);
    assert.equal(sim.state.guests.get(id)?.conf.ipconfig0, 'ip=dhcp');
    const g = take((x) => x.status === 'stopped');
    await tool('proxmox_snapshot_create', { vmid: g.vmid, name: 'agent1' }, /^Take snapshot "agent1" of VM/);
    assert.match(await tool('proxmox_guest_details', { vmid: g.vmid, include: ['snapshots'] }), /agent1/);
    await tool('proxmox_snapshot_rollback', { vmid: g.vmid, name: 'agent1' }, /^Roll back VM .* to snapshot "agent1"/);
    const target = g.node === 'pve1' ? 'pve2' : 'pve1';
    await tool('proxmox_migrate_guest', { vmid: g.vmid, target, withLocalDisks: true }, new RegExp(`to ${target} \\(offline`));
    assert.equal(sim.state.guests.get(g.vmid)?.node, target);
    await tool('proxmox_delete_guest', { vmid: id }, /^Delete VM "tool-web1"/);
    assert.ok(!sim.state.guests.has(id));
    const member = take((x) => x.status === 'stopped');
    member.conf.tags = 'homelab-cluster-k7;worker';
    await tool('cluster_destroy', { name: 'k7' }, new RegExp(`^Destroy cluster "k7": stop and delete its 1 VMs with their disks \\(${member.vmid} `));
    assert.ok(!sim.state.guests.has(member.vmid));
  });

  it('Application tools: list, scale, set image, restart an application; deploy refuses a bad DATABASE_URL unechoed; migration status', async () => {
    const ctx = { context: env.context, namespace: env.namespace };
    // An application as the kit labels one, made by another client (its image runs on a real cluster too).
    const labels = { 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/component': 'web', 'app.kubernetes.io/name': 'shop' };
    const body = deployment('shop', env.namespace, 1);
    Object.assign(body.metadata.labels, labels);
    Object.assign(body.spec.template.metadata.labels, labels);
    const image = body.spec.template.spec.containers[0].image;
    await env.other.request('POST', `/apis/apps/v1/namespaces/${env.namespace}/deployments`, { body });
    assert.match(await tool('app_list', ctx), /shop/);
    assert.match(await tool('app_scale', { ...ctx, app: 'shop', replicas: 2 }, /shop/), /shop/);
    const scaled = await env.other.request<{ spec: { replicas: number } }>('GET', `/apis/apps/v1/namespaces/${env.namespace}/deployments/shop`);
    assert.equal(scaled.spec.replicas, 2);
    if (env.server) {
      // The test server runs any image; a real cluster here has one runnable image, kept below.
      assert.match(await tool('app_set_image', { ...ctx, app: 'shop', image: 'busybox:1.37' }, /busybox:1\.37/), /shop/);
      const set = await env.other.request<{ spec: { template: { spec: { containers: Array<{ image: string }> } } } }>('GET', `/apis/apps/v1/namespaces/${env.namespace}/deployments/shop`);
      assert.equal(set.spec.template.spec.containers[0].image, 'busybox:1.37');
    } else {
      // The same image again is refused before any rollout (and audited as refused).
      await assert.rejects(call('app_set_image', { ...ctx, app: 'shop', image }), /already runs/);
    }
    assert.match(await tool('app_restart', { ...ctx, app: 'shop' }, /shop/), /shop/);
    const restarted = await env.other.request<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>('GET', `/apis/apps/v1/namespaces/${env.namespace}/deployments/shop`);
    assert.ok(restarted.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], 'restarted');
    assert.match(await tool('db_migration_status', {}), /No database migration/);
    // A deploy refused before anything is applied: the refusal and its audit line, the URL never echoed.
    const badUrl = 'http://agent:agent-DBPASS-7d1e@db.lab/shop';
    const before = records.length;
    await assert.rejects(call('app_deploy', { ...ctx, level: 'basic', image: 'ghcr.io/me/hacky-stack', tag: 'v1', githubClientId: 'agent-client-id', githubClientSecret: 'agent-GHSECRET-5c2a', databaseUrl: badUrl }), (e: Error) => {
      assert.match(e.message, /postgresql:\/\//);
      assert.ok(!e.message.includes('agent-DBPASS-7d1e') && !e.message.includes('agent-GHSECRET-5c2a'), e.message);
      return true;
    });
    const line = records.slice(before).find((r) => r.what === 'VS Code tool · app_deploy');
    assert.ok(line && /^refused/.test(line.result), JSON.stringify(records.slice(before)));
    assert.ok(!JSON.stringify(line).includes('DBPASS') && !JSON.stringify(line).includes('GHSECRET'), 'no secret in the audit line');
  });

  it('Kubernetes tools: contexts, list, get with events, scale, rollout restart, logs, apply after a dry run', async () => {
    const ctx = { context: env.context, namespace: env.namespace };
    assert.match(await tool('kubernetes_contexts', {}), new RegExp(`(^|\\s)${env.context} `));
    assert.match(await tool('kubernetes_list', { ...ctx, kind: 'deployments' }), new RegExp(`${env.namespace}/web `));
    assert.match(await tool('kubernetes_get', { ...ctx, kind: 'deployments', name: 'web' }), /kind: Deployment[\s\S]*events \(\d+\):/);
    assert.match(await tool('kubernetes_scale', { ...ctx, name: 'web', replicas: 2 }, /from 1 to 2 replicas/), /replicas 1 → 2/);
    assert.match(await tool('kubernetes_rollout_restart', { ...ctx, name: 'web' }), /Rollout restart/);
    const pods = await env.other.request<{ items: Array<{ metadata: { name: string } }> }>('GET', `/api/v1/namespaces/${env.namespace}/pods`);
    assert.ok(pods.items.length, 'the deployment has pods');
    assert.match(await tool('kubernetes_logs', { ...ctx, pod: pods.items[0].metadata.name, tailLines: 5 }), new RegExp(`${env.namespace}/${pods.items[0].metadata.name} \\(\\d+ lines\\)`));
    const manifestText = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: agent-cm\ndata:\n  a: "1"\n`;
    assert.match(await tool('kubernetes_apply_dry_run', { ...ctx, manifest: manifestText }), /configmap\/agent-cm .*created/);
    await assert.rejects(env.other.request('GET', `/api/v1/namespaces/${env.namespace}/configmaps/agent-cm`), 'the dry run created nothing');
    assert.match(await tool('kubernetes_apply', { ...ctx, manifest: manifestText }, /ConfigMap\/agent-cm created/), /created/);
    await env.other.request('GET', `/api/v1/namespaces/${env.namespace}/configmaps/agent-cm`);
  });

  it('journal and tracker tools: read, new entry, append activity, read the tracker, set a story\'s status', async () => {
    assert.match(await tool('journal_new_entry', { title: 'Agent day', date: '2026-12-02', summary: 'cloned a VM' }, /2026-12-02-agent-day\.md/), /Created 2026-12-02-agent-day\.md/);
    assert.match(readFileSync(join(root, 'journal/2026-12-02-agent-day.md'), 'utf8'), /- cloned a VM/);
    await tool('journal_append_activity', { what: 'Reviewed the lab', result: 'ok' });
    assert.match(await tool('journal_read', {}), /2026-12-02-agent-day\.md/);
    assert.match(await tool('journal_read', { file: 'activity.md' }), /Reviewed the lab/);
    const file = `${WS}/LEARNING_TRACKER.md`;
    assert.match(await tool('tracker_read', { file }), /0\.1\.1 \[todo\] Clone a VM by asking/);
    await tool('tracker_set_story_status', { file, story: '0.1.1', status: 'done' }, /from todo to done/);
    assert.match(readFileSync(join(root, 'LEARNING_TRACKER.md'), 'utf8'), /\| 0\.1\.1 \| Clone a VM by asking \| Done \|/);
  });

  it('offers the MCP server: a 0600 config without secrets, the secret in its environment, and it serves the catalog', async () => {
    const tools = api.agentTools();
    const [def] = tools.mcpServerDefinitions();
    assert.match(def.args[0], /dist[/\\]mcp\.js$/);
    const resolved = await tools.resolveMcpServerDefinition(def);
    const file = resolved.args[resolved.args.indexOf('--config') + 1];
    assert.ok(!readFileSync(file, 'utf8').includes(sim.tokenSecret), 'no secret in the config file');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(resolved.env.HOMELAB_SECRET_AGENTS, sim.tokenSecret);
    // Started the way VS Code starts it.
    const env = Object.fromEntries(Object.entries({ ...resolved.env, PATH: process.env.PATH }).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const client = new Client({ name: 'exthost-test', version: '1.0' });
    await client.connect(new StdioClientTransport({ command: resolved.command, args: resolved.args, env, stderr: 'pipe' }));
    try {
      const r = await client.callTool({ name: 'proxmox_inventory', arguments: {} });
      const text = (r.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('');
      results.push(text);
      assert.match(text, new RegExp(`cluster ${C} \\(${C}\\): 2 nodes`));
    } finally {
      await client.close();
    }
  });

  it('the palette\'s lifecycle commands run the same entries, for containers too (lxc paths, the modal names the container)', async () => {
    const ct = sim.state.addGuest(250, 'pve1', { arch: 'amd64', cores: 1, hostname: 'ct-agent', memory: 512, ostype: 'debian', rootfs: 'local-lvm:vm-250-disk-0,size=4G', unprivileged: 1 }, 'lxc');
    const before = records.length;
    assert.equal((await runScripted(api, 'homelab.proxmox.startVm', [], { clusterId: C, vmid: 250 })).failure, undefined);
    assert.equal(ct.status, 'running');
    assert.ok(sim.requestLog.some((r) => r.method === 'POST' && r.path.endsWith('/nodes/pve1/lxc/250/status/start')));
    assert.equal((await runScripted(api, 'homelab.proxmox.stopVm', ['Stop'], { clusterId: C, vmid: 250 })).failure, undefined);
    assert.match(api.prompts.asked[api.prompts.asked.length - 1], /^Stop container "ct-agent" \(250\) on pve1 \(running/);
    assert.equal(ct.status, 'stopped');
    assert.equal((await runScripted(api, 'homelab.proxmox.deleteVm', ['Delete'], { clusterId: C, vmid: 250 })).failure, undefined);
    assert.ok(!sim.state.guests.has(250));
    assert.deepEqual(records.slice(before).map((r) => `${r.what} ${r.result}`), ['command · proxmox_start_guest ok', 'command · proxmox_stop_guest ok', 'command · proxmox_delete_guest ok']);
  });

  it('every tool was called, and each call left an audit line', () => {
    for (const name of manifest().map((t) => t.name)) assert.ok(records.some((r) => r.what === `VS Code tool · ${name}`), name);
  });
});
