import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import { startSimulator, type Simulator, type Guest } from '../proxmox-sim';
import { addCluster, closeTerminals, guestElement, run, terminalsNamed, text, waitFor } from './ops-util';
import { activateHomelab } from './util';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOz4bJ0m8mVt0a0n1cV3m7WnY0mD2wQk1o4H1c6JvT2x me@laptop';
const C = 'ops';

describe('Proxmox ops: lifecycle, templates, tasks in terminals', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let sim: Simulator;
  const activity: Array<{ what: string; result: string; target?: string }> = [];
  let recording: vscode.Disposable | undefined;
  const pick = (pred: (g: Guest) => boolean, used = new Set<number>()) => {
    const g = [...sim.state.guests.values()].find((x) => pred(x) && !used.has(x.vmid));
    assert.ok(g, 'a guest that fits');
    return g;
  };
  const used = new Set<number>();
  const take = (pred: (g: Guest) => boolean) => {
    const g = pick((x) => !x.conf.template && !x.conf.lock && pred(x), used);
    used.add(g.vmid);
    return g;
  };

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 3, guests: 40, seed: 21, taskDurationMs: 300, authFailDelayMs: 50, agentBootDelayMs: 0 });
    await addCluster(api, sim, C);
    recording = api.activity.onDidRecord((e) => void activity.push(e));
  });
  after(async () => {
    recording?.dispose();
    await closeTerminals(api);
    await vscode.workspace.getConfiguration('homelab').update('proxmox.shutdownTimeout', undefined, vscode.ConfigurationTarget.Global);
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sim?.close();
  });

  it('starts a stopped VM from its tree item: a terminal named for task and VM streams the log to OK, the tree shows it running', async () => {
    const g = take((x) => x.status === 'stopped');
    const el = await guestElement(api, C, g.vmid);
    assert.equal(api.proxmoxTree.getTreeItem(el).contextValue, 'vm-stopped');
    const { failure } = await run(api, 'homelab.proxmox.startVm', [], el, [el]);
    assert.equal(failure, undefined);
    const [t] = terminalsNamed(api, new RegExp(`^Start VM ${g.vmid} ${g.conf.name} · ${g.node}$`));
    assert.ok(t, `terminal among: ${api.operations.terminals.open.map((x) => x.name).join(', ')}`);
    assert.match(text(t), /UPID:.*:qmstart:/);
    assert.match(text(t), /\nOK \(\d+\.\d s\)/);
    assert.equal(g.status, 'running');
    const after = await guestElement(api, C, g.vmid);
    assert.equal(api.proxmoxTree.getTreeItem(after).contextValue, 'vm-running', 'the tree was refreshed when the task ended');
  });

  it('the next task of the same kind on the same VM reuses its finished terminal: tabs do not pile up', async () => {
    const g = take((x) => x.status === 'stopped');
    const named = () => terminalsNamed(api, new RegExp(`^Start VM ${g.vmid} `));
    assert.equal((await run(api, 'homelab.proxmox.startVm', [], { clusterId: C, vmid: g.vmid })).failure, undefined);
    assert.equal(named().length, 1);
    const again = await run(api, 'homelab.proxmox.startVm', [], { clusterId: C, vmid: g.vmid });
    assert.match(again.failure ?? '', /already running/);
    assert.equal(named().length, 1, `one terminal among: ${api.operations.terminals.open.map((x) => x.name).join(', ')}`);
    const log = text(named()[0]);
    assert.equal(log.match(/UPID:\S+:qmstart:/g)?.length, 2, 'both tasks in the one terminal');
    assert.match(log, /\nOK [\s\S]*ERROR: VM \d+ already running/);
  });

  it('starting a running VM shows the task error (in the terminal and as the command failure)', async () => {
    const g = take((x) => x.status === 'running');
    const { failure } = await run(api, 'homelab.proxmox.startVm', [], { clusterId: C, vmid: g.vmid });
    assert.match(failure ?? '', new RegExp(`VM ${g.vmid} already running`));
    const [t] = terminalsNamed(api, new RegExp(`^Start VM ${g.vmid} `));
    assert.match(text(t), new RegExp(`ERROR: VM ${g.vmid} already running`));
  });

  it('multi-select runs start on several VMs, each its own task and terminal', async () => {
    const a = take((x) => x.status === 'stopped');
    const b = take((x) => x.status === 'stopped');
    const ea = await guestElement(api, C, a.vmid);
    const eb = await guestElement(api, C, b.vmid);
    const { failure } = await run(api, 'homelab.proxmox.startVm', [], ea, [ea, eb]);
    assert.equal(failure, undefined);
    assert.equal(a.status, 'running');
    assert.equal(b.status, 'running');
    const upids = [a, b].map((g) => text(terminalsNamed(api, new RegExp(`^Start VM ${g.vmid} `))[0]).match(/UPID:\S+/)![0]);
    assert.notEqual(upids[0], upids[1]);
  });

  it('shutdown that times out offers a forced stop; accepting it stops the VM', async () => {
    await vscode.workspace.getConfiguration('homelab').update('proxmox.shutdownTimeout', 1, vscode.ConfigurationTarget.Global);
    const g = take((x) => x.status === 'running');
    g.ignoreShutdown = true;
    const { failure } = await run(api, 'homelab.proxmox.shutdownVm', ['Stop Now'], { clusterId: C, vmid: g.vmid });
    assert.equal(failure, undefined);
    assert.ok(api.prompts.asked.some((q) => q.includes(`did not shut down within 1 s`)));
    assert.match(text(terminalsNamed(api, new RegExp(`^Shut down VM ${g.vmid} `))[0]), /ERROR: .*got timeout/);
    assert.match(text(terminalsNamed(api, new RegExp(`^Stop VM ${g.vmid} `))[0]), /\nOK/);
    assert.equal(g.status, 'stopped');
  });

  it('declining the forced stop says the VM is still running', async () => {
    const g = take((x) => x.status === 'running');
    g.ignoreShutdown = true;
    const { failure } = await run(api, 'homelab.proxmox.shutdownVm', [undefined], { clusterId: C, vmid: g.vmid });
    assert.match(failure ?? '', /still running/);
    assert.equal(g.status, 'running');
  });

  it('stop asks first (modal); dismissing leaves the VM running; reboot runs a qmreboot task', async () => {
    const g = take((x) => x.status === 'running');
    const { failure } = await run(api, 'homelab.proxmox.stopVm', [undefined], { clusterId: C, vmid: g.vmid });
    assert.equal(failure, undefined);
    assert.equal(g.status, 'running');
    assert.equal(terminalsNamed(api, new RegExp(`^Stop VM ${g.vmid} `)).length, 0, 'no task was started');
    assert.equal((await run(api, 'homelab.proxmox.rebootVm', [], { clusterId: C, vmid: g.vmid })).failure, undefined);
    assert.match(text(terminalsNamed(api, new RegExp(`^Reboot VM ${g.vmid} `))[0]), /\nOK/);
  });

  it('stop after confirming powers the VM off; reboot of a stopped VM shows the refusal', async () => {
    const g = take((x) => x.status === 'running');
    const { failure } = await run(api, 'homelab.proxmox.stopVm', ['Stop'], { clusterId: C, vmid: g.vmid });
    assert.equal(failure, undefined);
    assert.equal(g.status, 'stopped');
    assert.match(text(terminalsNamed(api, new RegExp(`^Stop VM ${g.vmid} `))[0]), /\nOK/);
    const r = await run(api, 'homelab.proxmox.rebootVm', [], { clusterId: C, vmid: g.vmid });
    assert.match(r.failure ?? '', new RegExp(`VM ${g.vmid} not running`));
  });

  it('a VM that does not exist is named in the error (console, start)', async () => {
    assert.match((await run(api, 'homelab.proxmox.openConsole', [], { clusterId: C, vmid: 99999 })).failure ?? '', /There is no guest 99999 in ops/);
    assert.match((await run(api, 'homelab.proxmox.startVm', [], { clusterId: C, vmid: 99999 })).failure ?? '', /There is no VM 99999/);
  });

  it('delete: a running VM must be stopped first; the modal names the VM; purge is an explicit choice', async () => {
    const running = take((x) => x.status === 'running');
    const r = await run(api, 'homelab.proxmox.deleteVm', [], { clusterId: C, vmid: running.vmid });
    assert.match(r.failure ?? '', /is running: stop or shut it down first/);
    assert.ok(sim.state.guests.has(running.vmid));
    const g = take((x) => x.status === 'stopped');
    await run(api, 'homelab.proxmox.deleteVm', [undefined], { clusterId: C, vmid: g.vmid });
    assert.ok(sim.state.guests.has(g.vmid), 'dismissed: nothing deleted');
    const question = api.prompts.asked[api.prompts.asked.length - 1];
    assert.match(question, new RegExp(`"${g.conf.name}" \\(${g.vmid}\\)`));
    const { failure } = await run(api, 'homelab.proxmox.deleteVm', ['Delete and Purge'], { clusterId: C, vmid: g.vmid });
    assert.equal(failure, undefined);
    assert.ok(!sim.state.guests.has(g.vmid));
    assert.match(text(terminalsNamed(api, new RegExp(`^Delete VM ${g.vmid} `))[0]), /purging VM/);
  });

  it('converts a stopped VM to a template; refuses a running VM and a template with the reason', async () => {
    const running = take((x) => x.status === 'running');
    assert.match((await run(api, 'homelab.proxmox.convertToTemplate', [], { clusterId: C, vmid: running.vmid })).failure ?? '', /is running: only a stopped VM/);
    const tpl = pick((x) => !!x.conf.template);
    assert.match((await run(api, 'homelab.proxmox.convertToTemplate', [], { clusterId: C, vmid: tpl.vmid })).failure ?? '', /already a template/);
    const g = take((x) => x.status === 'stopped');
    const { failure } = await run(api, 'homelab.proxmox.convertToTemplate', ['Convert'], { clusterId: C, vmid: g.vmid });
    assert.equal(failure, undefined);
    assert.equal(g.conf.template, 1);
    assert.match(text(terminalsNamed(api, new RegExp(`^Make VM ${g.vmid} `))[0]), /Renamed .* to "base-/);
    const report = activity.find((a) => a.what === 'template' && a.target?.includes(String(g.vmid)));
    assert.equal(report?.result, 'OK');
    const el = await guestElement(api, C, g.vmid);
    assert.equal(api.proxmoxTree.getTreeItem(el).contextValue, 'template');
  });

  it('a task cancelled midway (Ctrl+C in its terminal) is stopped on the node and says so', async () => {
    await vscode.workspace.getConfiguration('homelab').update('proxmox.shutdownTimeout', 60, vscode.ConfigurationTarget.Global);
    const g = take((x) => x.status === 'running');
    g.ignoreShutdown = true;
    const offers = () => api.prompts.asked.filter((q) => q.includes('did not shut down')).length;
    const offered = offers();
    const pending = run(api, 'homelab.proxmox.shutdownVm', [], { clusterId: C, vmid: g.vmid });
    const t = await waitFor('the shutdown terminal', () => terminalsNamed(api, new RegExp(`^Shut down VM ${g.vmid} `))[0]);
    await new Promise((r) => setTimeout(r, 700));
    t.pty.handleInput?.('\x03');
    const { failure } = await pending;
    assert.equal(failure, undefined, 'a cancellation is not an error');
    await waitFor('CANCELLED line', () => /CANCELLED/.test(text(t)));
    const task = sim.state.tasks.find((x) => x.type === 'qmshutdown' && x.id === String(g.vmid))!;
    assert.equal(task.status, 'stopped');
    assert.equal(task.exitstatus, 'received interrupt');
    assert.equal(offers(), offered, 'no forced-stop offer after a cancel');
    assert.equal(g.status, 'running');
  });

  it('the audit-only token gets 403 with the missing privilege named, and no task runs', async () => {
    await addCluster(api, sim, 'audit', true);
    try {
      const g = take((x) => x.status === 'stopped');
      const before = sim.state.tasks.length;
      const { failure } = await run(api, 'homelab.proxmox.startVm', [], { clusterId: 'audit', vmid: g.vmid });
      assert.match(failure ?? '', /Permission check failed \(\/vms\/\d+, VM\.PowerMgmt\)/);
      assert.equal(sim.state.tasks.length, before);
    } finally {
      await api.clusters.remove('audit');
    }
  });

  it('a node going offline mid-task: the terminal and the message say the result is unknown', async () => {
    await vscode.workspace.getConfiguration('homelab').update('proxmox.shutdownTimeout', 30, vscode.ConfigurationTarget.Global);
    const g = take((x) => x.status === 'running' && x.node === 'pve3');
    g.ignoreShutdown = true;
    const pending = run(api, 'homelab.proxmox.shutdownVm', [], { clusterId: C, vmid: g.vmid });
    const t = await waitFor('terminal', () => terminalsNamed(api, new RegExp(`^Shut down VM ${g.vmid} `))[0]);
    await new Promise((r) => setTimeout(r, 300));
    sim.setNodeOnline('pve3', false);
    try {
      const { failure } = await pending;
      assert.match(failure ?? '', /Lost track of task qmshutdown .* on pve3.*may still be running.*result is unknown/);
      assert.match(text(t), /UNKNOWN: Lost track/);
    } finally {
      sim.setNodeOnline('pve3', true);
      for (const task of sim.state.tasks) if (task.status === 'running' && task.id === String(g.vmid)) task.abort.abort();
    }
  });

  it('a 5xx injected mid-operation: the follower reports it and the POST is not repeated', async () => {
    await vscode.workspace.getConfiguration('homelab').update('proxmox.shutdownTimeout', 30, vscode.ConfigurationTarget.Global);
    const g = take((x) => x.status === 'running');
    g.ignoreShutdown = true;
    const posts = () => sim.requestLog.filter((r) => r.method === 'POST' && r.path.endsWith(`/qemu/${g.vmid}/status/shutdown`)).length;
    const pending = run(api, 'homelab.proxmox.shutdownVm', [], { clusterId: C, vmid: g.vmid });
    await waitFor('terminal', () => terminalsNamed(api, new RegExp(`^Shut down VM ${g.vmid} `))[0]);
    sim.setFaults({ errorRate: 1 });
    try {
      const { failure } = await pending;
      assert.match(failure ?? '', /Lost track of task .*(Service Unavailable|cfs-lock|Transport endpoint)/);
      assert.equal(posts(), 1);
    } finally {
      sim.setFaults({});
      for (const task of sim.state.tasks) if (task.status === 'running' && task.id === String(g.vmid)) task.abort.abort();
    }
  });

  it('lists the cluster\'s recent tasks and reopens one in a terminal with its whole log', async () => {
    const task = [...sim.state.tasks].reverse().find((x) => x.type === 'qmtemplate' && x.status === 'stopped')!;
    const before = terminalsNamed(api, /^Make VM .* a template /).length;
    const { failure, result } = await run(api, 'homelab.proxmox.showTasks', [task.upid], C);
    assert.equal(failure, undefined);
    assert.equal(result, task.upid);
    const all = terminalsNamed(api, new RegExp(`^Make VM ${task.id} `));
    assert.equal(all.length, before + 1);
    assert.match(text(all[all.length - 1]), /Renamed[\s\S]*\nOK/);
  });

  it('opens the web console URL of a VM', async () => {
    const g = pick((x) => !x.conf.template);
    const { result } = await run(api, 'homelab.proxmox.openConsole', [], { clusterId: C, vmid: g.vmid });
    const url = new URL(String(result));
    assert.equal(url.origin, sim.url);
    assert.equal(url.searchParams.get('console'), 'kvm');
    assert.equal(url.searchParams.get('vmid'), String(g.vmid));
    assert.equal(url.searchParams.get('node'), g.node);
  });

  it('a shell on a VM without guest agent explains how to enable it', async () => {
    const g = take((x) => x.status === 'running');
    g.conf.agent = '0';
    const { failure } = await run(api, 'homelab.proxmox.openShell', [], { clusterId: C, vmid: g.vmid });
    assert.match(failure ?? '', /no QEMU guest agent/);
    assert.match(failure ?? '', /qm set \d+ --agent enabled=1/);
  });
});

describe('Proxmox ops: clone and migrate', function () {
  this.timeout(90_000);
  let api: HomelabApi;
  let sim: Simulator;
  const activity: Array<{ what: string; result: string; target?: string }> = [];
  let recording: vscode.Disposable | undefined;
  const tplOn = (storage: string) => [...sim.state.guests.values()].find((g) => !!g.conf.template && String(g.conf.scsi0).startsWith(`${storage}:`))!;
  const byName = (name: string) => [...sim.state.guests.values()].filter((g) => g.conf.name === name);
  const basePlan = { full: true, sshKeys: [KEY], ip: { kind: 'dhcp' }, start: false };

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 3, guests: 30, seed: 5, taskDurationMs: 300, authFailDelayMs: 50, agentBootDelayMs: 0, lockTimeoutMs: 150 });
    await addCluster(api, sim, C);
    recording = api.activity.onDidRecord((e) => void activity.push(e));
  });
  after(async () => {
    recording?.dispose();
    await closeTerminals(api);
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sim?.close();
  });

  it('clones through the wizard (with Back), applies cloud-init, grows the disk and starts it', async () => {
    const tpl = tplOn('nfs');
    const el = await guestElement(api, C, tpl.vmid);
    const nextid = sim.state.nextId();
    const size = Number(/size=(\d+)G/.exec(String(tpl.conf.scsi0))![1]);
    const { failure } = await run(api, 'homelab.proxmox.cloneTemplate', [
      'web-x', // name
      '<back>', // Back from the VM ID step…
      'web-1', // …to correct the name
      String(nextid), // VM ID (the suggestion)
      'full', 'pve2', 'nfs', // mode, target node (shared storage allows it), storage
      '2', '3072', String(size + 4), // cores, memory, disk
      'ops', // cloud-init user
      ['paste'], KEY, // keys: paste one
      'static', '192.168.50.10/24', '192.168.50.1', // ip
      'start',
      'Cloud-init user', // the summary: go back to change the user…
      'admin', // …answered again (the steps after it keep their answers)
      ['paste'], KEY, 'static', '192.168.50.10/24', '192.168.50.1', 'start',
      'Cloud-init user', 'ops', ['paste'], KEY, 'static', '192.168.50.10/24', '192.168.50.1', 'start',
      'confirm',
    ], el, [el]);
    assert.equal(failure, undefined);
    const [vm] = byName('web-1');
    assert.ok(vm, 'the clone exists');
    assert.equal(byName('web-x').length, 0);
    assert.equal(vm.vmid, nextid);
    assert.equal(vm.node, 'pve2');
    assert.equal(vm.conf.cores, 2);
    assert.equal(String(vm.conf.memory), '3072');
    assert.equal(vm.conf.ciuser, 'ops');
    assert.equal(vm.conf.ipconfig0, 'ip=192.168.50.10/24,gw=192.168.50.1');
    assert.equal(decodeURIComponent(String(vm.conf.sshkeys)).trim(), KEY);
    assert.doesNotMatch(String(vm.conf.sshkeys), /[ +]/);
    assert.match(String(vm.conf.scsi0), new RegExp(`^nfs:.*size=${size + 4}G`));
    assert.equal(vm.status, 'running');
    for (const re of [/^Clone VM /, /^Resize the disk of VM /, /^Start VM /]) assert.ok(terminalsNamed(api, re).some((t) => /\nOK/.test(text(t))), `${re} reached OK`);
    assert.equal(activity.find((a) => a.what === 'clone')?.result, 'OK');
  });

  it('validates wizard input: a bad name is refused by the input box', async () => {
    const tpl = tplOn('nfs');
    const { failure } = await run(api, 'homelab.proxmox.cloneTemplate', ['web_1'], { clusterId: C, vmid: tpl.vmid });
    assert.match(failure ?? '', /"_" is not allowed in a host name/);
  });

  it('an empty SSH key list is refused with an explanation', async () => {
    const tpl = tplOn('nfs');
    const size = /size=(\d+)G/.exec(String(tpl.conf.scsi0))![1];
    const { failure } = await run(api, 'homelab.proxmox.cloneTemplate', ['db-1', String(sim.state.nextId()), 'linked', '1', '1024', size, 'ops', []], { clusterId: C, vmid: tpl.vmid });
    assert.match(failure ?? '', /No SSH public key chosen/);
    assert.equal(byName('db-1').length, 0);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an invalid name', { name: 'Web.lan' }, /"\." is not allowed/],
    ['an ID out of range', { newid: 99 }, /out of range/],
    ['an ID that is taken', { newid: -1 }, /is taken by/],
    ['a CIDR without prefix', { ip: { kind: 'static', cidr: '10.1.1.5', gateway: '10.1.1.1' } }, /no prefix length/],
    ['a gateway outside the subnet', { ip: { kind: 'static', cidr: '10.1.1.5/24', gateway: '10.1.2.1' } }, /outside the subnet/],
    ['an empty key list', { sshKeys: [] }, /No SSH public key/],
    ['a node without the template\'s (local) storage', { target: 'pve3', local: true }, /local to pve\d \(local-lvm\)/],
    ['a linked clone to another node', { target: 'pve3', full: false }, /linked clone stays/],
  ];
  for (const [what, over, re] of bad) {
    it(`refuses ${what} before anything is created`, async () => {
      const tpl = over.local ? tplOn('local-lvm') : tplOn('nfs');
      const taken = [...sim.state.guests.keys()][0];
      const plan = { ...basePlan, name: 'bad-1', target: tpl.node, ...over, ...(over.newid === -1 ? { newid: taken } : {}) };
      if (plan.target === tpl.node && (over.target as string)) plan.target = ['pve1', 'pve2', 'pve3'].find((n) => n !== tpl.node)!;
      const count = sim.state.guests.size;
      const posts = sim.requestLog.filter((r) => r.method === 'POST' && r.path.endsWith('/clone')).length;
      const { failure } = await run(api, 'homelab.proxmox.cloneTemplate', [], { clusterId: C, vmid: tpl.vmid }, plan);
      assert.match(failure ?? '', re);
      assert.equal(sim.state.guests.size, count, 'nothing created');
      assert.equal(sim.requestLog.filter((r) => r.method === 'POST' && r.path.endsWith('/clone')).length, posts, 'nothing sent');
    });
  }

  it('parallel clones of one template contend for its lock: retried, exactly one VM per request', async () => {
    const tpl = tplOn('local-lvm');
    const names = ['par-1', 'par-2', 'par-3'];
    const clonePosts = () => sim.requestLog.filter((r) => r.method === 'POST' && r.path.endsWith(`/qemu/${tpl.vmid}/clone`));
    const before = clonePosts().length;
    const results = await Promise.all(names.map((name) =>
      run(api, 'homelab.proxmox.cloneTemplate', [], { clusterId: C, vmid: tpl.vmid }, { ...basePlan, name, target: tpl.node })));
    assert.deepEqual(results.map((r) => r.failure), [undefined, undefined, undefined]);
    for (const n of names) assert.equal(byName(n).length, 1, `exactly one ${n}`);
    const ids = names.map((n) => byName(n)[0].vmid);
    assert.equal(new Set(ids).size, 3);
    const posts = clonePosts().slice(before);
    assert.ok(posts.length > 3, `contention happened (${posts.length} POSTs)`);
    assert.ok(posts.filter((p) => p.status === 500).length === posts.length - 3, 'every repeat followed a refusal');
  });

  it('a 5xx while following a clone: reported as unknown outcome, the clone POST is not repeated', async () => {
    const tpl = tplOn('nfs');
    const posts = () => sim.requestLog.filter((r) => r.method === 'POST' && r.path.endsWith(`/qemu/${tpl.vmid}/clone`)).length;
    const before = posts();
    const pending = run(api, 'homelab.proxmox.cloneTemplate', [], { clusterId: C, vmid: tpl.vmid }, { ...basePlan, name: 'five-1', target: tpl.node });
    await waitFor('clone terminal', () => terminalsNamed(api, /^Clone VM \d+ → five-1 /)[0]);
    sim.setFaults({ errorRate: 1 });
    try {
      const { failure } = await pending;
      assert.match(failure ?? '', /Lost track of task qmclone .*result is unknown/);
    } finally {
      sim.setFaults({});
    }
    assert.equal(posts() - before, 1, 'exactly one POST');
    await waitFor('the clone finished on the node', () => byName('five-1')[0] && !byName('five-1')[0].conf.lock);
    assert.equal(byName('five-1').length, 1, 'one VM, not two');
  });

  it('refuses to migrate a running VM without online, and sends nothing', async () => {
    const g = [...sim.state.guests.values()].find((x) => x.status === 'running' && !x.conf.template)!;
    const target = ['pve1', 'pve2', 'pve3'].find((n) => n !== g.node)!;
    const before = sim.state.tasks.filter((t) => t.type === 'qmigrate').length;
    const { failure } = await run(api, 'homelab.proxmox.migrateVm', [], { clusterId: C, vmid: g.vmid }, { target, online: false, withLocalDisks: true });
    assert.match(failure ?? '', /is running: it can only move with a live \(online\) migration/);
    assert.equal(sim.state.tasks.filter((t) => t.type === 'qmigrate').length, before);
  });

  it('migrates a running VM with local disks through the wizard: live and disk copy shown in the summary, qmigrate followed to OK', async () => {
    const g = [...sim.state.guests.values()].find((x) => x.status === 'running' && !x.conf.template && String(x.conf.scsi0).startsWith('local-lvm:'))!;
    const target = ['pve1', 'pve2', 'pve3'].find((n) => n !== g.node)!;
    const el = await guestElement(api, C, g.vmid);
    const { failure } = await run(api, 'homelab.proxmox.migrateVm', [target, 'confirm'], el, [el]);
    assert.equal(failure, undefined);
    assert.equal(g.node, target);
    const t = terminalsNamed(api, new RegExp(`^Migrate VM ${g.vmid} `))[0];
    assert.match(text(t), /found local disk 'local-lvm:vm-/);
    assert.match(text(t), /starting online\/live migration/);
    assert.match(text(t), /\nOK/);
    assert.equal(activity.find((a) => a.what === 'migrate')?.result, 'OK');
    assert.equal(api.proxmoxTree.getTreeItem(await guestElement(api, C, g.vmid)).contextValue, 'vm-running');
  });

  it('migrates several VMs one after another', async () => {
    const vms = [...sim.state.guests.values()].filter((x) => x.status === 'stopped' && !x.conf.template && x.node === 'pve1' && !x.conf.lock).slice(0, 2);
    assert.equal(vms.length, 2);
    const els = await Promise.all(vms.map((v) => guestElement(api, C, v.vmid)));
    const answers = ['pve2', 'confirm'];
    const { failure } = await run(api, 'homelab.proxmox.migrateVm', answers, els[0], els);
    assert.equal(failure, undefined);
    assert.deepEqual(vms.map((v) => v.node), ['pve2', 'pve2']);
    const tasks = vms.map((v) => sim.state.tasks.find((t) => t.type === 'qmigrate' && t.id === String(v.vmid))!);
    assert.ok(tasks[1].starttime >= tasks[0].endtime!, 'the second started after the first ended');
  });

  it('an offline node is listed with PVE\'s reason and cannot be picked', async () => {
    const g = [...sim.state.guests.values()].find((x) => x.status === 'stopped' && !x.conf.template && x.node === 'pve2')!;
    sim.setNodeOnline('pve3', false);
    try {
      const { failure } = await run(api, 'homelab.proxmox.migrateVm', ['pve3'], { clusterId: C, vmid: g.vmid });
      assert.match(failure ?? '', /scripted answer "pve3" .* is invalid: pve3 cannot take .*: storage not available there/);
      assert.equal(g.node, 'pve2', 'not migrated');
    } finally {
      sim.setNodeOnline('pve3', true);
    }
  });
});
