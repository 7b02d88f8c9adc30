// The MCP server as a client sees it: the SDK's Client over stdio spawning the server (tsx on
// src/mcp/main.ts), against the Proxmox simulator and the Kubernetes API test server.
import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Ajv from 'ajv';
import { startSimulator, type Simulator } from '../../proxmox-sim';
import { startK8sServer, type K8sTestServer } from '../../k8s-server';
import { KubeClient } from '../../../src/providers/kubernetes/client';
import { connectionFor, loadKubeconfig } from '../../../src/providers/kubernetes/kubeconfig';

const ROOT = join(__dirname, '../../..');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOz4bJ0m8mVt0a0n1cV3m7WnY0mD2wQk1o4H1c6JvT2x agent@laptop';

interface Session {
  client: Client;
  stderr: string[];
  transcript: string[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

describe('MCP server (stdio, @modelcontextprotocol/sdk client)', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let kube: K8sTestServer;
  let tmp: string;
  let kubeToken: string;
  const secrets: string[] = [];
  const seen: string[] = [];
  const sessions: Session[] = [];

  const config = (extra: Record<string, unknown> = {}) => {
    const file = join(tmp, `config-${sessions.length}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({
      clusters: [{ id: 'lab', name: 'Lab', url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, secretFile: join(tmp, 'lab.secret') }],
      kubeconfig: [join(tmp, 'kubeconfig')],
      journal: join(tmp, 'journal'),
      ...extra,
    }));
    return file;
  };

  async function connect(flags: string[], o: { configFile?: string; elicit?: (message: string) => boolean; bundle?: string } = {}): Promise<Session> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...(o.bundle ? [o.bundle] : ['--require', 'tsx/cjs', join(ROOT, 'src/mcp/main.ts')]), '--config', o.configFile ?? config(), ...flags],
      cwd: ROOT,
      stderr: 'pipe',
      env: { PATH: process.env.PATH ?? '' },
    });
    const stderr: string[] = [];
    transport.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    const client = new Client({ name: 'homelab-test', version: '1.0' }, { capabilities: o.elicit ? { elicitation: { form: {} } } : {} });
    if (o.elicit) {
      client.setRequestHandler(ElicitRequestSchema, async (req) => {
        const message = (req.params as { message: string }).message;
        return o.elicit!(message) ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
      });
    }
    await client.connect(transport);
    const transcript: string[] = [];
    const s: Session = {
      client, stderr, transcript,
      async call(name, args) {
        const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
        const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
        seen.push(text);
        // The README's transcript: each call and its answer (long answers cut, saying how much).
        const lines = text.split('\n');
        const shown = lines.length > 8 ? [...lines.slice(0, 8), `… (${lines.length - 8} more lines)`] : lines;
        transcript.push(`→ ${name} ${JSON.stringify(args)}`, ...shown.map((l, i) => `${i ? '  ' : '← '}${r.isError && !i ? '(error) ' : ''}${l}`));
        return r;
      },
      async close() {
        await client.close();
        seen.push(stderr.join(''));
      },
    };
    sessions.push(s);
    return s;
  }
  const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  const activity = () => readFileSync(join(tmp, 'journal/activity.md'), 'utf8');

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'homelab-mcp-'));
    mkdirSync(join(tmp, 'journal'));
    sim = await startSimulator({ nodes: 2, guests: 20, seed: 15, taskDurationMs: 150, agentBootDelayMs: 0, authFailDelayMs: 50 });
    writeFileSync(join(tmp, 'lab.secret'), sim.tokenSecret + '\n');
    chmodSync(join(tmp, 'lab.secret'), 0o600);
    kube = await startK8sServer({ podReadyDelayMs: 100 });
    kube.writeKubeconfig(join(tmp, 'kubeconfig'));
    kubeToken = /token:\s*"?([^"\s]+)/.exec(readFileSync(join(tmp, 'kubeconfig'), 'utf8'))![1];
    secrets.push(sim.tokenSecret, kubeToken);
    const kc = new KubeClient(connectionFor(loadKubeconfig({ paths: [join(tmp, 'kubeconfig')] })));
    await kc.request('POST', '/apis/apps/v1/namespaces/default/deployments', { body: {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    } });
    kc.close();
  });

  after(async () => {
    for (const s of sessions) await s.close().catch(() => {});
    // Every tool result, every stderr line and the activity log: no secret in play appears.
    const all = [...seen, activity()].join('\n');
    for (const secret of secrets) assert.ok(!all.includes(secret), 'a secret leaked into a result or log line');
    await kube?.close();
    await sim?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the catalog as tools, every input schema valid JSON Schema, with read-only and destructive hints', async () => {
    const s = await connect([]);
    const { tools } = await s.client.listTools();
    assert.ok(tools.length >= 25, `${tools.length} tools`);
    const ajv = new Ajv({ strict: true });
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.doesNotThrow(() => ajv.compile(t.inputSchema), t.name);
      assert.ok(t.description && t.description.length > 30, t.name);
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    assert.equal(byName.get('proxmox_inventory')?.annotations?.readOnlyHint, true);
    assert.equal(byName.get('proxmox_delete_guest')?.annotations?.destructiveHint, true);
    assert.equal(byName.get('proxmox_start_guest')?.annotations?.readOnlyHint, false);
    for (const name of ['proxmox_clone_template', 'proxmox_migrate_guest', 'proxmox_snapshot_create', 'proxmox_snapshot_rollback', 'proxmox_task_log', 'kubernetes_scale', 'kubernetes_apply', 'journal_new_entry', 'tracker_set_story_status']) {
      assert.ok(byName.has(name), name);
    }
    const { resources } = await s.client.listResources();
    assert.deepEqual(resources.map((r) => r.uri), ['homelab://proxmox/lab/inventory']);
    const inv = await s.client.readResource({ uri: 'homelab://proxmox/lab/inventory' });
    assert.match(String((inv.contents[0] as { text?: string }).text), /cluster lab \(Lab\): 2 nodes, 20 guests/);
  });

  it('read tools answer from the lab: inventory, guest details, Kubernetes list', async () => {
    const s = await connect([]);
    const guest = [...sim.state.guests.values()].find((g) => !g.conf.template && g.status === 'running')!;
    const inv = textOf(await s.call('proxmox_inventory', {}));
    assert.match(inv, new RegExp(`\\b${guest.vmid} qemu ${guest.conf.name} running`));
    const details = await s.call('proxmox_guest_details', { vmid: guest.vmid });
    assert.ok(!details.isError, textOf(details));
    assert.match(textOf(details), new RegExp(`VM "${guest.conf.name}" \\(${guest.vmid}\\) on ${guest.node}`));
    assert.match(textOf(details), /config:\n {2}\w+: /);
    const pods = textOf(await s.call('kubernetes_list', { kind: 'deployments' }));
    assert.match(pods, /default\/web /);
    assert.match(textOf(await s.call('kubernetes_contexts', {})), /^\* /);
    const tpl = [...sim.state.guests.values()].find((x) => x.conf.template && x.type === 'qemu')!;
    const plan = await s.call('cluster_deploy_plan', { name: 'k8s', template: tpl.vmid, controlPlanes: 1, workers: 1, network: '10.0.0.20/24', gateway: '10.0.0.1' });
    assert.match(textOf(plan), /k8s-cp-1 control-plane on pve\d: 2 vCPU, 4096 MiB, 32 GiB, ip=10\.0\.0\.20\/24,gw=10\.0\.0\.1/);
    assert.match(textOf(plan), /k8s-worker-1 worker .*ip=10\.0\.0\.21\/24/);
    assert.match(textOf(await s.call('pipeline_status', {})), /No NixOS template pipeline has run/);
    assert.match(activity(), /MCP homelab-test 1\.0 - proxmox_inventory/);
  });

  it('refuses writes without --allow-write and destructive tools without --allow-destroy; nothing is sent', async () => {
    const s = await connect([]);
    const g = [...sim.state.guests.values()].find((x) => !x.conf.template && x.status === 'stopped')!;
    const r = await s.call('proxmox_start_guest', { vmid: g.vmid });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /read-only \(started without --allow-write\)/);
    assert.equal(g.status, 'stopped');
    const w = await connect(['--allow-write']);
    const d = await w.call('proxmox_delete_guest', { vmid: g.vmid });
    assert.equal(d.isError, true);
    assert.match(textOf(d), /without --allow-destroy/);
    assert.ok(sim.state.guests.has(g.vmid));
    assert.match(activity(), new RegExp(`\\*\\*refused: not allowed by the server flags\\*\\* · MCP homelab-test 1\\.0 - proxmox_start_guest · target \`vmid=${g.vmid}\``));
  });

  it('pipeline_start and cluster_deploy_apply: listed with valid schemas, refused without --allow-write, and with it refused as VS Code-only', async () => {
    const s = await connect([]);
    const { tools } = await s.client.listTools();
    const ajv = new Ajv({ strict: true });
    for (const name of ['pipeline_start', 'cluster_deploy_apply']) {
      const t = tools.find((x) => x.name === name);
      assert.ok(t, name);
      assert.doesNotThrow(() => ajv.compile(t.inputSchema), name);
      assert.equal(t.annotations?.readOnlyHint, false, name);
      assert.equal(t.annotations?.destructiveHint, false, name);
    }
    assert.deepEqual((tools.find((x) => x.name === 'cluster_deploy_apply')!.inputSchema.required as string[]).sort(), ['name', 'sshPublicKeyPath', 'template']);
    const tpl = [...sim.state.guests.values()].find((x) => x.conf.template && x.type === 'qemu')!;
    const before = sim.state.guests.size;
    const tasks = sim.state.tasks.length;
    const input = { name: 'k5', template: tpl.vmid, sshPublicKeyPath: join(tmp, 'none.pub') };
    for (const [name, args] of [['pipeline_start', {}], ['cluster_deploy_apply', input]] as const) {
      const r = await s.call(name, args);
      assert.equal(r.isError, true, name);
      assert.match(textOf(r), /read-only \(started without --allow-write\)/, name);
    }
    const w = await connect(['--allow-write']);
    const p = await w.call('pipeline_start', {});
    assert.equal(p.isError, true);
    assert.match(textOf(p), /runs inside VS Code/);
    const d = await w.call('cluster_deploy_apply', input);
    assert.equal(d.isError, true);
    assert.match(textOf(d), /runs inside VS Code/);
    await assert.rejects(w.client.callTool({ name: 'cluster_deploy_apply', arguments: { name: 'k5', template: tpl.vmid } }), (e: unknown) => e instanceof McpError && /sshPublicKeyPath: is required/.test(e.message));
    assert.equal(sim.state.guests.size, before, 'nothing created');
    assert.equal(sim.state.tasks.length, tasks, 'no task started');
  });

  it('bad input is an InvalidParams error naming the field, and the server keeps serving', async () => {
    const s = await connect([]);
    await assert.rejects(s.client.callTool({ name: 'proxmox_guest_details', arguments: { vmid: 'abc' } }), (e: unknown) => e instanceof McpError && e.code === -32602 && /vmid: must be an integer/.test(e.message));
    await assert.rejects(s.client.callTool({ name: 'kubernetes_scale', arguments: { name: 'web' } }), (e: unknown) => e instanceof McpError && /replicas: is required/.test(e.message));
    await assert.rejects(s.client.callTool({ name: 'proxmox_inventory', arguments: { clustr: 'x' } }), (e: unknown) => e instanceof McpError && /clustr: is not a known field/.test(e.message));
    await assert.rejects(s.client.callTool({ name: 'no_such_tool', arguments: {} }), McpError);
    assert.match(textOf(await s.call('proxmox_inventory', {})), /cluster lab/);
  });

  it('an unreachable cluster and a missing guest are clean tool errors', async () => {
    const file = config({ clusters: [{ id: 'gone', name: 'Gone', url: 'https://127.0.0.1:1', fingerprint: sim.fingerprint, tokenId: sim.tokenId, secretFile: join(tmp, 'lab.secret') }] });
    const s = await connect([], { configFile: file });
    const inv = await s.call('proxmox_inventory', {});
    assert.match(textOf(inv), /cluster gone \(Gone\): unreachable: /);
    const d = await s.call('proxmox_guest_details', { vmid: 100 });
    assert.equal(d.isError, true);
    assert.match(textOf(d), /^proxmox_guest_details failed: .*(ECONNREFUSED|connect|reach)/i);
    const ok = await connect([]);
    const missing = await ok.call('proxmox_guest_details', { vmid: 99_999 });
    assert.equal(missing.isError, true);
    assert.match(textOf(missing), /There is no VM 99999 in Lab/);
  });

  it('refuses a secret file others can read, and a config that would not pin TLS', async () => {
    writeFileSync(join(tmp, 'open.secret'), sim.tokenSecret);
    chmodSync(join(tmp, 'open.secret'), 0o644);
    const s = await connect([], { configFile: config({ clusters: [{ id: 'lab', url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, secretFile: join(tmp, 'open.secret') }] }) });
    const r = await s.call('proxmox_inventory', {});
    assert.match(textOf(r), /can be read by others \(mode 644\): chmod 600 it/);
    const unpinned = config({ clusters: [{ id: 'lab', url: sim.url, tokenId: sim.tokenId, secretEnv: 'X' }] });
    await assert.rejects(connect([], { configFile: unpinned }));
    const wrongPin = config({ clusters: [{ id: 'lab', url: sim.url, fingerprint: 'AA:'.repeat(31) + 'AA', tokenId: sim.tokenId, secretFile: join(tmp, 'lab.secret') }] });
    const w = await connect([], { configFile: wrongPin });
    assert.match(textOf(await w.call('proxmox_inventory', {})), /unreachable: .*(fingerprint|certificate)/i);
  });

  it('clones a VM from a template with cloud-init and scales a deployment (--allow-write); the audit lines say so', async () => {
    const s = await connect(['--allow-write']);
    const tpl = [...sim.state.guests.values()].find((g) => g.conf.template && g.type === 'qemu')!;
    assert.match(textOf(await s.call('proxmox_inventory', {})), new RegExp(`${tpl.vmid} qemu template ${tpl.conf.name}`));
    const clone = await s.call('proxmox_clone_template', { template: tpl.vmid, name: 'agent-web1', sshKeys: [KEY], ip: '10.0.0.50/24', gateway: '10.0.0.1', cores: 2, start: true });
    assert.ok(!clone.isError, textOf(clone));
    const m = /Created VM (\d+) "agent-web1"/.exec(textOf(clone));
    assert.ok(m, textOf(clone));
    const made = sim.state.guests.get(Number(m[1]))!;
    assert.equal(made.conf.name, 'agent-web1');
    assert.equal(made.conf.ipconfig0, 'ip=10.0.0.50/24,gw=10.0.0.1');
    assert.equal(made.status, 'running');
    const scaled = await s.call('kubernetes_scale', { name: 'web', replicas: 3 });
    assert.match(textOf(scaled), /deployment default\/web: replicas 1 → 3/);
    assert.match(textOf(await s.call('kubernetes_list', { kind: 'deployments' })), /default\/web \d\/3/);
    const log = activity();
    assert.match(log, /\*\*ok\*\* · MCP homelab-test 1\.0 - proxmox_clone_template · cluster `Lab` · target `\S+ \(\d+\) → agent-web1 - /);
    assert.match(log, /\*\*ok\*\* · MCP homelab-test 1\.0 - kubernetes_scale · cluster `[^`]+` · target `deployments\/default\/web - name=web replicas=3/);
    assert.match(log, /sshKeys=\(1 items\)/, 'long fields are summarized, not copied');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    writeFileSync(join(ROOT, 'test-results', 'mcp-transcript.md'), s.transcript.join('\n') + '\n');
    // The clone's tasks are the cluster's latest: their status and log are readable.
    const tasks = textOf(await s.call('proxmox_tasks', { vmid: made.vmid, limit: 5 }));
    const upid = /^(UPID:\S+:qmstart:\S+)/m.exec(tasks)?.[1];
    assert.ok(upid, tasks);
    assert.match(textOf(await s.call('proxmox_task_log', { upid })), /qmstart \d+ on pve\d: stopped: OK/);
  });

  it('destroys a deployed cluster\'s tagged VMs only with --allow-destroy, leaving untagged VMs alone', async () => {
    const tagged = [...sim.state.guests.values()].filter((g) => !g.conf.template && g.status === 'stopped' && !g.conf.lock).slice(0, 2);
    for (const g of tagged) g.conf.tags = 'homelab-cluster-k9;worker';
    const others = sim.state.guests.size - tagged.length;
    const w = await connect(['--allow-write']);
    assert.match(textOf(await w.call('cluster_destroy', { name: 'k9' })), /without --allow-destroy/);
    assert.equal(sim.state.guests.size, others + tagged.length);
    const d = await connect(['--allow-destroy']);
    assert.match(textOf(await d.call('cluster_destroy', { name: 'nope' })), /no cluster "nope" to destroy/);
    const r = await d.call('cluster_destroy', { name: 'k9' });
    assert.ok(!r.isError, textOf(r));
    assert.match(textOf(r), new RegExp(`Cluster k9 destroyed: VMs ${tagged.map((g) => g.vmid).join(', ')} deleted`));
    for (const g of tagged) assert.ok(!sim.state.guests.has(g.vmid));
    assert.equal(sim.state.guests.size, others);
  });

  it('the esbuild bundle (what dist/mcp.js is built from) serves the same tools with plain node', async () => {
    const esbuild = await import('esbuild');
    const bundle = join(tmp, 'mcp.js');
    await esbuild.build({ entryPoints: [join(ROOT, 'src/mcp/main.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['cpu-features', '*.node'], outfile: bundle, logLevel: 'error' });
    const s = await connect([], { bundle });
    const { tools } = await s.client.listTools();
    assert.ok(tools.some((t) => t.name === 'proxmox_clone_template'));
    assert.match(textOf(await s.call('proxmox_inventory', {})), /cluster lab \(Lab\)/);
    assert.match(textOf(await s.call('kubernetes_contexts', {})), /^\* /);
  });

  it('asks through elicitation before a side effect when the client supports it; a decline changes nothing', async () => {
    const asked: string[] = [];
    const s = await connect(['--allow-write'], { elicit: (m) => { asked.push(m); return false; } });
    const g = [...sim.state.guests.values()].find((x) => !x.conf.template && x.status === 'stopped' && !x.conf.lock)!;
    const r = await s.call('proxmox_start_guest', { vmid: g.vmid });
    assert.match(textOf(r), /Declined by the user/);
    assert.equal(g.status, 'stopped');
    assert.match(asked[0], new RegExp(`Start VM "${g.conf.name}" \\(${g.vmid}\\) on ${g.node} \\(stopped\\)\\?`));
    const yes = await connect(['--allow-write'], { elicit: () => true });
    const ok = await yes.call('proxmox_start_guest', { vmid: g.vmid });
    assert.ok(!ok.isError, textOf(ok));
    assert.equal(g.status, 'running');
    assert.match(activity(), new RegExp(`\\*\\*declined\\*\\* · MCP homelab-test 1\\.0 - proxmox_start_guest · cluster \`Lab\` · target \`${g.conf.name} \\(${g.vmid}\\)`));
  });
});
