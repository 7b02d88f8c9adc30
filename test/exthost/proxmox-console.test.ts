// Consoles in terminals, notes in an editor tab, tags and cloud-init edits, against the simulator's
// demo lab (containers, a VM with a serial port and notes, a tag style), inside a real extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { OpenTerminal } from '../../src/services/terminals';
import type { ConsoleTerminal } from '../../src/views/terminals/console-terminal';
import { guestResourceUri } from '../../src/views/proxmox/tag-decorations';
import { decodeSshKeys } from '../../src/providers/proxmox/cloud-init';
import { startSimulator, type Guest, type Simulator } from '../proxmox-sim';
import { addCluster, closeTerminals, guestElement, run, text, waitFor } from './ops-util';
import { activateHomelab } from './util';

const C = 'consoles';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOz4bJ0m8mVt0a0n1cV3m7WnY0mD2wQk1o4H1c6JvT2x me@laptop';

describe('Proxmox consoles, notes, tags and cloud-init', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let sim: Simulator;
  const guests = () => [...sim.state.guests.values()];
  const find = (pred: (g: Guest) => boolean, what: string) => {
    const g = guests().find(pred);
    assert.ok(g, what);
    return g;
  };
  const consoles = () => api.operations.terminals.open.filter((t) => t.kind === 'console') as OpenTerminal<ConsoleTerminal>[];
  const consoleNamed = (name: string) => waitFor(`terminal ${name}`, () => consoles().find((t) => t.name === name));
  /** Waits until the terminal's text matches (state, not sleeps). */
  const shows = (t: OpenTerminal, re: RegExp, ms = 10_000) => waitFor(`${re} in ${t.name}`, () => re.test(text(t)), ms).catch(() => assert.fail(`${re} not in ${JSON.stringify(text(t).slice(-400))}`));
  const change = (g: Guest, f: (conf: Guest['conf']) => void) => {
    f(g.conf);
    sim.state.touch();
  };

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 3, guests: 14, seed: 5, taskDurationMs: 200, authFailDelayMs: 50, agentBootDelayMs: 0, lab: true });
    await addCluster(api, sim, C);
  });
  after(async () => {
    await closeTerminals(api);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sim?.close();
  });

  describe('consoles', () => {
    it('Open Node Shell from a node row: a terminal on the node\'s shell, typed text runs, exit closes the terminal', async () => {
      await guestElement(api, C, find((g) => g.node === 'pve2', 'a guest on pve2').vmid); // loads the tree
      const cluster = (await api.proxmoxTree.getChildren()).find((e) => e.kind === 'cluster')!;
      const node = (await api.proxmoxTree.getChildren(cluster)).find((e) => e.kind === 'node' && e.node === 'pve2')!;
      assert.equal(api.proxmoxTree.getTreeItem(node).contextValue, 'node-online');
      const { result, failure } = await run<string>(api, 'homelab.proxmox.openNodeShell', [], node);
      assert.equal(failure, undefined);
      const t = await consoleNamed(result!);
      assert.match(t.name, /^Shell pve2 · consoles$/);
      await shows(t, /root@pve2:~# $/);
      t.terminal.sendText('hostname');
      await shows(t, /hostname\npve2\nroot@pve2:~# $/);
      await new Promise((r) => setTimeout(r, 1000)); // longer than an early close (a refusal stays readable)
      t.terminal.sendText('exit');
      await waitFor('the terminal closed after exit', () => !api.operations.terminals.open.includes(t));
    });

    it('Open Container Console: sized like the terminal, resized, a paste of multi-byte text arrives whole', async () => {
      const ct = find((g) => g.type === 'lxc' && g.status === 'running', 'a running container');
      const { result, failure } = await run<string>(api, 'homelab.proxmox.openContainerConsole', [], { clusterId: C, vmid: ct.vmid });
      assert.equal(failure, undefined);
      const t = await consoleNamed(result!);
      assert.equal(t.name, `Console CT ${ct.vmid} ${ct.conf.hostname} · ${ct.node}`);
      await shows(t, new RegExp(`root@${ct.conf.hostname}:~# $`));
      const size = await waitFor('a size sent', () => t.pty.lastSize);
      t.pty.handleInput('stty size\r');
      await shows(t, new RegExp(`stty size\\n${size.rows} ${size.cols}\\n`));
      t.pty.setDimensions({ columns: 101, rows: 33 });
      t.pty.handleInput('stty size\r');
      await shows(t, /stty size\n33 101\n/);
      const pasted = `echo ${'grüße ✓ '.repeat(700)}`; // > one paste chunk, multi-byte
      t.pty.handleInput(`${pasted}\r`);
      await shows(t, new RegExp(`\\n${'grüße ✓ '.repeat(700).trim()}\\n`));
      t.terminal.dispose();
    });

    it('a dropped connection keeps the terminal and offers R to reconnect; R opens a new session', async () => {
      const ct = find((g) => g.type === 'lxc' && g.status === 'running', 'a running container');
      const { result } = await run<string>(api, 'homelab.proxmox.openContainerConsole', [], { clusterId: C, vmid: ct.vmid });
      const t = await consoleNamed(result!);
      await shows(t, /:~# $/);
      sim.dropConsoles();
      await waitFor('dropped', () => t.pty.state === 'dropped');
      await shows(t, /connection to the console of container \d+ .* was lost \(1006\)\. Press R to reconnect/);
      assert.ok(api.operations.terminals.open.includes(t), 'the terminal stays');
      t.pty.handleInput('R');
      await waitFor('reconnected', () => t.pty.state === 'connected', 20_000).catch(() => assert.fail(`not reconnected (${t.pty.state}): ${JSON.stringify(text(t).slice(-300))}`));
      t.pty.handleInput('whoami\r');
      await shows(t, /whoami\nroot\n/);
      t.terminal.dispose();
    });

    it('Open Serial Console on the VM with serial0: socket types into the guest', async () => {
      const vm = find((g) => g.type === 'qemu' && g.conf.serial0 === 'socket', 'the lab VM with a serial port');
      const el = await guestElement(api, C, vm.vmid);
      assert.equal(api.proxmoxTree.getTreeItem(el).contextValue, 'vm-running');
      const { result, failure } = await run<string>(api, 'homelab.proxmox.openSerialConsole', [], el, [el]);
      assert.equal(failure, undefined);
      const t = await consoleNamed(result!);
      t.pty.handleInput('hostname\r');
      await shows(t, new RegExp(`hostname\\n${vm.conf.name}\\n`));
      t.terminal.dispose();
    });

    it('bad input: a VM without a serial port, a stopped container, a container as VM: clear refusals, no terminal left', async () => {
      const before = new Set(consoles());
      const vm = find((g) => g.type === 'qemu' && g.status === 'running' && !g.conf.template && !g.conf.serial0, 'a running VM without serial port');
      const noSerial = await run(api, 'homelab.proxmox.openSerialConsole', [], { clusterId: C, vmid: vm.vmid });
      assert.match(noSerial.failure ?? '', new RegExp(`VM ${vm.vmid} \\(${vm.conf.name}\\) has no serial port, so it has no text console\\. Add one .*qm set ${vm.vmid} -serial0 socket.*Open Web Console`));
      const stopped = find((g) => g.type === 'lxc' && g.status === 'stopped', 'a stopped container');
      const st = await run(api, 'homelab.proxmox.openContainerConsole', [], { clusterId: C, vmid: stopped.vmid });
      assert.match(st.failure ?? '', new RegExp(`Not possible for container ${stopped.vmid} .*needs a running guest`));
      const ct = find((g) => g.type === 'lxc', 'a container');
      const wrong = await run(api, 'homelab.proxmox.openSerialConsole', [], { clusterId: C, vmid: ct.vmid });
      assert.match(wrong.failure ?? '', /is a container: this works on VMs only/);
      assert.deepEqual(consoles().filter((t) => !before.has(t)).map((t) => t.name), [], 'no console terminal was opened');
    });
  });

  describe('notes', () => {
    const notesVm = () => find((g) => g.type === 'qemu' && typeof g.conf.description === 'string' && g.conf.serial0 === 'socket', 'the lab VM with notes');
    const openNotes = async (vmid: number) => {
      const { result, failure } = await run<string>(api, 'homelab.proxmox.editNotes', [], { clusterId: C, vmid });
      assert.equal(failure, undefined);
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result);
      assert.ok(doc, 'the notes document is open');
      return doc;
    };
    const replace = async (doc: vscode.TextDocument, text: string) => {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
      assert.ok(await vscode.workspace.applyEdit(edit));
    };

    it('the tooltip of a guest shows its notes', async () => {
      const vm = notesVm();
      const el = await guestElement(api, C, vm.vmid);
      const item = await api.proxmoxTree.resolveTreeItem(api.proxmoxTree.getTreeItem(el), el);
      const md = item.tooltip as vscode.MarkdownString;
      assert.match(md.value, /- Node: pve\d/);
      assert.match(md.value, /Control plane of the lab cluster/);
      assert.equal(md.isTrusted, false, 'notes are untrusted markdown');
    });

    it('Edit Notes opens the notes as markdown; saving writes them back to the guest', async () => {
      const vm = notesVm();
      const doc = await openNotes(vm.vmid);
      assert.equal(doc.getText(), vm.conf.description);
      assert.equal(doc.languageId, 'markdown');
      await replace(doc, '# web\n\nEdited in VS Code.\n');
      assert.ok(await doc.save(), 'saved');
      assert.equal(vm.conf.description, '# web\n\nEdited in VS Code.\n');
      await replace(doc, doc.getText() + '\nSecond save with the new digest.\n');
      assert.ok(await doc.save(), 'a second save uses the digest of the first');
      assert.match(String(vm.conf.description), /Second save/);
    });

    it('a save racing another change is refused (stale digest), nothing overwritten; compare and reload are offered', async () => {
      const vm = notesVm();
      const doc = await openNotes(vm.vmid);
      change(vm, (c) => (c.description = 'Changed in the web UI meanwhile.'));
      await replace(doc, 'My edit.');
      // Something reads the file meanwhile (Compare with Saved, another extension): the editor's text
      // is still based on the old notes, so the read must not become the save's digest.
      assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(doc.uri)), 'Changed in the web UI meanwhile.');
      const refused = new Promise<{ message: string }>((r) => { const d = api.guestNotes.onDidRefuseSave((e) => { d.dispose(); r(e); }); });
      assert.equal(await doc.save(), false, 'the save failed');
      const e = await refused;
      assert.match(e.message, new RegExp(`notes of VM ${vm.vmid} .* were not saved: its configuration was changed by someone else .*nothing was overwritten`));
      assert.equal(vm.conf.description, 'Changed in the web UI meanwhile.', 'the other change is kept');
      assert.ok(doc.isDirty, 'the edit is kept in the editor');
      await api.guestNotes.compare(doc.uri);
      await waitFor('a diff editor', () => vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputTextDiff);
      const diff = vscode.window.tabGroups.activeTabGroup.activeTab!.input as vscode.TabInputTextDiff;
      assert.equal(diff.modified.toString(), doc.uri.toString());
      assert.equal((await vscode.workspace.openTextDocument(diff.original)).getText(), 'Changed in the web UI meanwhile.');
      await api.guestNotes.reload(doc.uri);
      await waitFor('reloaded', () => !doc.isDirty && doc.getText() === 'Changed in the web UI meanwhile.');
      await replace(doc, 'Changed in the web UI meanwhile.\n\nAnd my line.');
      assert.ok(await doc.save(), 'after a reload the save goes through');
      assert.equal(vm.conf.description, 'Changed in the web UI meanwhile.\n\nAnd my line.');
    });

    it('a locked guest: Edit Notes is refused naming the lock', async () => {
      const ct = find((g) => g.type === 'lxc' && g.status === 'running', 'a container');
      change(ct, (c) => (c.lock = 'backup'));
      try {
        const { failure } = await run(api, 'homelab.proxmox.editNotes', [], { clusterId: C, vmid: ct.vmid });
        assert.match(failure ?? '', new RegExp(`Container ${ct.vmid} \\(${ct.conf.hostname}\\) is locked \\(backup\\): a backup of it is running`));
      } finally {
        change(ct, (c) => delete c.lock);
      }
    });
  });

  describe('tags', () => {
    it('Add Tag validates with PVE\'s rules, writes it, and the row takes the tag style\'s colour', async () => {
      const vm = find((g) => g.type === 'qemu' && !g.conf.template && !g.conf.tags && !g.conf.lock, 'a VM without tags');
      const deco = () => api.tagDecorations.provideFileDecoration(guestResourceUri(C, vm.vmid));
      assert.equal(deco(), undefined, 'no tag, no colour');
      const bad = await run(api, 'homelab.proxmox.addTag', ['bad tag!'], { clusterId: C, vmid: vm.vmid });
      assert.match(bad.failure ?? '', /Proxmox would refuse this tag: "space" is not allowed in a tag/);
      const dash = await run(api, 'homelab.proxmox.addTag', [], { clusterId: C, vmid: vm.vmid }, '-lead');
      assert.match(dash.failure ?? '', /must start with a letter, a digit or "_"/);
      assert.equal(vm.conf.tags, undefined, 'nothing written');
      const { failure } = await run(api, 'homelab.proxmox.addTag', ['k8s'], { clusterId: C, vmid: vm.vmid });
      assert.equal(failure, undefined);
      assert.equal(vm.conf.tags, 'k8s');
      const d = await waitFor('the row coloured', () => deco());
      assert.equal((d.color as vscode.ThemeColor).id, 'homelab.tag.blue', 'k8s is #1565c0 in the lab\'s color-map');
      const again = await run(api, 'homelab.proxmox.addTag', ['K8S'], { clusterId: C, vmid: vm.vmid });
      assert.match(again.failure ?? '', /already has the tag "k8s"/);
      assert.equal((await run(api, 'homelab.proxmox.addTag', ['zeta'], { clusterId: C, vmid: vm.vmid })).failure, undefined);
      assert.equal(vm.conf.tags, 'k8s;zeta', 'alphabetical, as the cluster\'s style orders them');
    });

    it('Remove Tag: picked from the guest\'s tags; a guest without tags is told so', async () => {
      const ct = find((g) => g.type === 'lxc' && String(g.conf.tags).includes('dns'), 'ct-pihole (dns;lab)');
      const { failure } = await run(api, 'homelab.proxmox.removeTag', ['dns'], { clusterId: C, vmid: ct.vmid });
      assert.equal(failure, undefined);
      assert.equal(ct.conf.tags, 'lab');
      assert.equal((await waitFor('green', () => api.tagDecorations.provideFileDecoration(guestResourceUri(C, ct.vmid)))).color?.id, 'homelab.tag.green');
      const none = find((g) => g.type === 'qemu' && !g.conf.template && !g.conf.tags, 'a VM without tags');
      assert.match((await run(api, 'homelab.proxmox.removeTag', [], { clusterId: C, vmid: none.vmid })).failure ?? '', /has no tags/);
    });

    it('a tag change racing another change of the config is refused, nothing overwritten', async () => {
      const ct = find((g) => g.type === 'lxc' && g.status === 'running' && !g.conf.lock, 'a container');
      const conns = api.connections;
      const cluster = api.clusters.get(C)!;
      const client = await conns.client(cluster);
      // Between the command's read and its write, someone else edits the config.
      const put = client.put.bind(client);
      client.put = (async (path: string, params?: Record<string, unknown>) => {
        if (path.endsWith(`/lxc/${ct.vmid}/config`)) change(ct, (c) => (c.memory = 1024));
        return put(path, params as never);
      }) as typeof client.put;
      try {
        const before = ct.conf.tags;
        const { failure } = await run(api, 'homelab.proxmox.addTag', ['racing'], { clusterId: C, vmid: ct.vmid });
        assert.match(failure ?? '', new RegExp(`container ${ct.vmid} .* was changed by someone else .*nothing was overwritten`));
        assert.equal(ct.conf.tags, before);
      } finally {
        client.put = put;
      }
    });
  });

  describe('cloud-init', () => {
    it('the wizard (with Back) edits user, keys, IP and DNS, regenerates the drive, and reboots when asked', async () => {
      const vm = find((g) => g.type === 'qemu' && g.status === 'running' && !g.conf.template && !g.conf.lock && !g.conf.serial0, 'a running VM');
      change(vm, (c) => (c.ide2 = `local-lvm:vm-${vm.vmid}-cloudinit,media=cdrom`));
      const logFrom = sim.requestLog.length;
      const { result, failure } = await run<string>(api, 'homelab.proxmox.editCloudInit', [
        'first-try', '<back>', 'ops', KEY, 'Static address', '10.0.0.9/24', '10.0.0.1', '10.0.0.1 1.1.1.1', 'lab.example.org', 'confirm', 'Reboot',
      ], { clusterId: C, vmid: vm.vmid });
      assert.equal(failure, undefined);
      assert.equal(result, 'rebooted');
      assert.equal(vm.conf.ciuser, 'ops');
      assert.deepEqual(decodeSshKeys(String(vm.conf.sshkeys)), [KEY]);
      assert.equal(vm.conf.ipconfig0, 'ip=10.0.0.9/24,gw=10.0.0.1');
      assert.equal(vm.conf.nameserver, '10.0.0.1 1.1.1.1');
      assert.equal(vm.conf.searchdomain, 'lab.example.org');
      const calls = sim.requestLog.slice(logFrom).map((r) => `${r.method} ${r.path}`);
      const put = calls.findIndex((c) => new RegExp(`PUT .*/qemu/${vm.vmid}/config$`).test(c));
      const regen = calls.findIndex((c) => new RegExp(`PUT .*/qemu/${vm.vmid}/cloudinit$`).test(c));
      const reboot = calls.findIndex((c) => new RegExp(`POST .*/qemu/${vm.vmid}/status/reboot$`).test(c));
      assert.ok(put >= 0 && regen > put && reboot > regen, `config, then drive, then reboot: ${calls.join(' | ')}`);
    });

    it('applied with the digest it was read with: a change made meanwhile refuses it, the drive is not regenerated', async () => {
      const vm = find((g) => g.type === 'qemu' && g.status === 'stopped' && !g.conf.template && !g.conf.lock, 'a stopped VM');
      change(vm, (c) => (c.ide2 = `local-lvm:vm-${vm.vmid}-cloudinit,media=cdrom`));
      const client = await api.connections.client(api.clusters.get(C)!);
      const put = client.put.bind(client);
      client.put = (async (path: string, params?: Record<string, unknown>) => {
        if (path.endsWith(`/qemu/${vm.vmid}/config`)) change(vm, (c) => (c.cores = 8)); // someone else, just before
        return put(path, params as never);
      }) as typeof client.put;
      const logFrom = sim.requestLog.length;
      try {
        const before = vm.conf.ciuser;
        const { failure } = await run(api, 'homelab.proxmox.editCloudInit', ['racer', '<back>', 'racer', '', 'Keep', '', '', 'confirm'], { clusterId: C, vmid: vm.vmid });
        assert.match(failure ?? '', new RegExp(`VM ${vm.vmid} .* was changed by someone else .*nothing was overwritten`));
        assert.equal(vm.conf.ciuser, before);
        assert.ok(!sim.requestLog.slice(logFrom).some((r) => r.method === 'PUT' && r.path.endsWith('/cloudinit')), 'no regeneration after a refused write');
      } finally {
        client.put = put;
      }
    });

    it('bad input: no cloud-init drive, a container, an invalid address (the step refuses it)', async () => {
      const noDrive = find((g) => g.type === 'qemu' && !g.conf.template && !String(g.conf.ide2).includes('cloudinit') && !g.conf.lock, 'a VM without a cloud-init drive');
      assert.match((await run(api, 'homelab.proxmox.editCloudInit', [], { clusterId: C, vmid: noDrive.vmid })).failure ?? '', /only VMs with a cloud-init drive/);
      const ct = find((g) => g.type === 'lxc', 'a container');
      assert.match((await run(api, 'homelab.proxmox.editCloudInit', [], { clusterId: C, vmid: ct.vmid })).failure ?? '', /is a container: this works on VMs only/);
      const tpl = find((g) => g.type === 'qemu' && !!g.conf.template && String(g.conf.ide2).includes('cloudinit'), 'a template with a cloud-init drive');
      const bad = await run(api, 'homelab.proxmox.editCloudInit', ['admin', '', 'Static address', '10.0.0.300/24'], { clusterId: C, vmid: tpl.vmid });
      assert.match(bad.failure ?? '', /is invalid/);
    });
  });
});
