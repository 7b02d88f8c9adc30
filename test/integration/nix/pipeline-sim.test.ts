import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, guestSerial, type Simulator } from '../../proxmox-sim/index';
import { STORAGES } from '../../proxmox-sim/state';
import { ProxmoxClient, ProxmoxError, serialConsoleReader, type StorageContentItem } from '../../../src/providers/proxmox';
import {
  DEFAULT_TEMPLATE_INPUTS, InstallFailedError, InstallTimeoutError, eject, PipelineError, TEMPLATE_PIPELINE, assertNixSyntax, buildIsoLocally, nodeFileStore,
  nodeJsonFileStore, resolveFlakeSource, resolveParams, resumeInfo, runPipeline, stageFlake, templateSteps,
  type PipelineStep, type TemplateInputs, type NixParams,
} from '../../../src/providers/nix';
import { RES, makeStandIn, type StandIn } from './standin';

describe('nix: the ISO-to-template pipeline against the simulator', function () {
  let sim: Simulator;
  let client: ProxmoxClient;
  let s: StandIn;
  let ws: string;
  let n = 0;

  before(async () => {
    sim = await startSimulator({ guests: 3, seed: 17, taskDurationMs: 30, authFailDelayMs: 0, installDurationMs: 500 });
    client = new ProxmoxClient({ url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret } });
    s = makeStandIn();
  });
  after(async () => {
    await client.close();
    await sim.close();
    s.cleanup();
  });
  beforeEach(() => (ws = mkdtempSync(join(tmpdir(), 'pipeline-ws-'))));
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  interface Harness {
    steps: PipelineStep<TemplateInputs>[];
    journal: string[];
    confirmed: StorageContentItem[][];
    logs: string[];
    builds: () => number;
    stateFile: string;
  }

  function harness(o: { params?: Partial<NixParams>; confirm?: boolean; failOnce?: string; noSerial?: boolean; realConsole?: boolean; loseCreateAnswer?: boolean } = {}): Harness {
    const journal: string[] = [];
    const confirmed: StorageContentItem[][] = [];
    const logs: string[] = [];
    let builds = 0;
    const failed = new Set<string>();
    const fstore = nodeFileStore();
    // The create POST reaches Proxmox and runs, but its answer is lost (the client times out).
    let lose = !!o.loseCreateAnswer;
    const lossy = new Proxy(client, {
      get(t, k) {
        if (k === 'post') {
          return async (path: string, params?: Record<string, unknown>) => {
            const r = await t.post(path, params);
            if (lose && /^\/nodes\/[^/]+\/qemu$/.test(path)) {
              lose = false;
              throw new ProxmoxError({ kind: 'timeout', method: 'POST', path, message: `127.0.0.1 did not answer POST ${path} in time. It may still have been carried out; it was not sent again.` });
            }
            return r;
          };
        }
        const v = Reflect.get(t, k, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    const base = templateSteps({
      client: lossy, pollMs: 25,
      async buildIso(ctx) {
        builds++;
        const stage = join(ws, `stage-${++n}`);
        const src = await resolveFlakeSource(fstore, { bundledDir: RES, workspaceDir: ws });
        const files = await stageFlake(fstore, src, resolveParams(o.params ?? {}), stage);
        await assertNixSyntax(files);
        const r = await buildIsoLocally({ nix: s.nix, flakeDir: stage, outLink: join(stage, 'result'), env: s.env, signal: ctx.signal, onLine: ctx.log });
        return { isoPath: r.isoPath! };
      },
      confirmDelete: async (items) => { confirmed.push(items); return o.confirm ?? true; },
      appendJournal: async (line) => { journal.push(line); return 'journal/2026-11-21.md'; },
      ...(o.noSerial ? {} : o.realConsole ? { readSerial: serialConsoleReader(client).readSerial } : { readSerial: async (_node: string, vmid: number, from: number) => [...guestSerial(sim.state.guests.get(vmid)!)].slice(from) }),
    });
    // Failure injection: the named step throws once, before doing anything.
    const steps = base.map((st) => ({
      ...st,
      run: async (ctx: Parameters<typeof st.run>[0]) => {
        if (o.failOnce === st.id && !failed.has(st.id)) {
          failed.add(st.id);
          throw new Error(`injected failure in ${st.id}`);
        }
        return st.run(ctx);
      },
    }));
    return { steps, journal, confirmed, logs, builds: () => builds, stateFile: join(ws, 'homelab/pipeline/nixos-template.json') };
  }

  const inputs = (extra: Partial<TemplateInputs> = {}): TemplateInputs => ({ ...DEFAULT_TEMPLATE_INPUTS, node: 'pve1', name: `tpl-${++n}`, keepIsos: 2, installTimeoutMs: 20_000, ...extra });
  const templates = () => [...sim.state.guests.values()].filter((g) => g.conf.template === 1).length;

  it('runs build -> upload -> VM -> install -> template -> retention -> journal, and records every step', async () => {
    // Three older Homelab ISOs and a foreign one on pve1/local: retention keeps the newest two of ours.
    const now = Math.floor(Date.now() / 1000);
    for (const [name, age] of [['homelab-nixos-20240101-000000.iso', 300], ['homelab-nixos-20240201-000000.iso', 200], ['homelab-nixos-20240301-000000.iso', 100]] as const) {
      sim.state.volumes.push({ volid: `local:iso/${name}`, storage: 'local', node: 'pve1', content: 'iso', format: 'iso', size: 1000, ctime: now - age });
    }
    const h = harness({ realConsole: true });
    const lines: string[] = [];
    const before = templates();
    const st = await runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store: nodeJsonFileStore(h.stateFile), inputs: inputs(), onLog: (l) => lines.push(l) });
    assert.equal(st.status, 'done');
    assert.ok(st.steps.every((x) => x.status === 'done' && typeof x.durationMs === 'number'));
    assert.deepEqual(JSON.parse(readFileSync(h.stateFile, 'utf8')).status, 'done');
    const vmid = Number(st.steps.find((x) => x.id === 'create-vm')!.result!.vmid);
    const g = sim.state.guests.get(vmid)!;
    assert.equal(g.conf.template, 1);
    assert.equal(templates(), before + 1);
    assert.match(String(g.conf.scsi0), /^local-lvm:base-\d+-disk-0,iothread=1,size=20G$/);
    assert.equal(g.conf.ide2, 'none,media=cdrom', 'ISO detached');
    assert.match(String(g.conf.ide0), /^local-lvm:vm-\d+-cloudinit,media=cdrom$/);
    assert.match(String(g.conf.net0), /^virtio=[0-9A-F:]{17},bridge=vmbr0$/);
    assert.equal(g.conf.agent, 'enabled=1');
    assert.equal(g.conf.serial0, 'socket');
    assert.equal(g.conf.boot, 'order=scsi0;net0');
    // The install log reached the terminal (through the real serial console protocol).
    assert.ok(lines.some((l) => /step 5\/6: installing/.test(l)), lines.join('\n'));
    // Retention: confirmed list = the oldest of ours; the foreign ISO stays.
    assert.deepEqual(h.confirmed[0].map((i) => i.volid), ['local:iso/homelab-nixos-20240201-000000.iso', 'local:iso/homelab-nixos-20240101-000000.iso']);
    const isos = sim.state.volumesOn('pve1', 'local').map((v) => v.volid);
    assert.ok(isos.includes('local:iso/homelab-nixos-20240301-000000.iso'));
    assert.ok(!isos.includes('local:iso/homelab-nixos-20240101-000000.iso'));
    assert.ok(isos.includes('local:iso/debian-12.7.0-amd64-netinst.iso'));
    assert.equal(h.journal.length, 1);
    assert.match(h.journal[0], new RegExp(`^NixOS template tpl-\\d+ \\(VM ${vmid}\\) on pve1 from homelab-nixos-\\d{8}-\\d{6}\\.iso, install \\d+ s, removed 2 old ISO\\(s\\)$`));
  });

  for (const step of ['preflight', 'build', 'upload', 'create-vm', 'start', 'install', 'detach-iso', 'cloud-init', 'template', 'retention', 'journal']) {
    it(`resumes after a failure injected at "${step}" without redoing completed steps`, async () => {
      const h = harness({ failOnce: step, confirm: false });
      const store = nodeJsonFileStore(h.stateFile);
      const before = templates();
      const guestsBefore = sim.state.guests.size;
      await assert.rejects(runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs() }), (e: unknown) => {
        assert.ok(e instanceof PipelineError);
        assert.equal(e.stepId, step);
        assert.match(e.message, new RegExp(`injected failure in ${step}`));
        return true;
      });
      const info = await resumeInfo(store, TEMPLATE_PIPELINE, h.steps);
      assert.equal(info.resumable, true);
      assert.equal(info.nextStep!.id, step);
      const st = await runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs(), resume: true });
      assert.equal(st.status, 'done');
      assert.equal(h.builds(), 1, 'built once');
      assert.equal(templates(), before + 1, 'one template');
      assert.equal(sim.state.guests.size, guestsBefore + 1, 'no stray VM');
      assert.equal(h.journal.length, 1);
      for (const x of st.steps) assert.equal(x.attempts, x.id === step ? 2 : 1, x.id);
    });
  }

  it('a create-VM POST whose answer was lost after Proxmox ran it: resume uses that VM, never a second one (issue 12 item 7)', async () => {
    const h = harness({ loseCreateAnswer: true, confirm: false });
    const store = nodeJsonFileStore(h.stateFile);
    const guestsBefore = sim.state.guests.size;
    const before = templates();
    await assert.rejects(runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs() }), (e: unknown) => e instanceof PipelineError && e.stepId === 'create-vm' && /did not answer/.test(e.message));
    assert.equal(sim.state.guests.size, guestsBefore + 1, 'Proxmox did create the VM');
    const saved = JSON.parse(readFileSync(h.stateFile, 'utf8')) as { created: Array<{ kind: string; id: string; marker?: string }> };
    const intent = saved.created.find((c) => c.kind === 'vm');
    assert.ok(intent?.marker, 'the VM ID was recorded before the POST');
    const st = await runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs(), resume: true });
    assert.equal(st.status, 'done');
    assert.equal(sim.state.guests.size, guestsBefore + 1, 'no second VM');
    assert.equal(templates(), before + 1);
    assert.equal(st.steps.find((x) => x.id === 'create-vm')!.result!.vmid, Number(intent.id));
  });

  it('storage without ISO content is caught before the build (named step); fixing the setting and resuming completes', async () => {
    const h = harness();
    const store = nodeJsonFileStore(h.stateFile);
    await assert.rejects(runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs({ isoStorage: 'local-lvm' }) }), (e: unknown) => {
      assert.ok(e instanceof PipelineError && e.stepId === 'preflight');
      assert.match(e.message, /Step "Check node, storages and disk" failed: Storage "local-lvm" on pve1 does not hold ISO images; storages there that do: local, nfs/);
      return true;
    });
    assert.equal(h.builds(), 0, 'no build started');
    const st = await runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs({ isoStorage: 'nfs' }), resume: true });
    assert.equal(st.status, 'done');
    assert.equal(h.builds(), 1);
    assert.match(String(st.steps.find((x) => x.id === 'upload')!.result!.volid), /^nfs:iso\/homelab-nixos-/);
  });

  it('a failure at the upload names that step and lists the built ISO; resume does not rebuild', async () => {
    const h = harness();
    const store = nodeJsonFileStore(h.stateFile);
    const local = STORAGES.find((x) => x.storage === 'local')!;
    const total = local.total;
    // Full storage at upload time (after preflight passed): the upload's own check refuses it once.
    let first = true;
    const guarded = h.steps.map((st) => st.id !== 'upload' ? st : {
      ...st,
      run: async (ctx: Parameters<typeof st.run>[0]) => {
        if (!first) return st.run(ctx);
        first = false;
        local.total = 1;
        try {
          return await st.run(ctx);
        } finally {
          local.total = total;
        }
      },
    });
    await assert.rejects(runPipeline(guarded, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs() }), (e: unknown) => {
      assert.ok(e instanceof PipelineError && e.stepId === 'upload');
      assert.match(e.message, /Step "Upload the ISO to Proxmox" failed: Storage "local" on pve1 has .* GiB free/);
      assert.match(e.message, /Left for you to clean up or reuse: ISO file .*\.iso/);
      return true;
    });
    const st = await runPipeline(guarded, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs(), resume: true });
    assert.equal(st.status, 'done');
    assert.equal(h.builds(), 1);
  });

  it('a disk device the VM will not have is refused before the build', async () => {
    const h = harness();
    await assert.rejects(runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store: nodeJsonFileStore(h.stateFile), inputs: inputs({ diskDevice: '/dev/nvme0n1' }) }), (e: unknown) => {
      assert.ok(e instanceof PipelineError && e.stepId === 'preflight');
      assert.match(e.message, /write to \/dev\/nvme0n1, a disk the VM made here will not have/);
      return true;
    });
    assert.equal(h.builds(), 0);
  });

  it('/dev/vda makes a virtio0 disk, and the install targets it', async () => {
    const h = harness({ params: { diskDevice: '/dev/vda' }, confirm: false });
    const st = await runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store: nodeJsonFileStore(h.stateFile), inputs: inputs({ diskDevice: '/dev/vda' }) });
    const g = sim.state.guests.get(Number(st.steps.find((x) => x.id === 'create-vm')!.result!.vmid))!;
    assert.match(String(g.conf.virtio0), /^local-lvm:base-\d+-disk-0,iothread=1,size=20G$/);
    assert.equal(g.conf.scsi0, undefined);
    assert.equal(g.conf.boot, 'order=virtio0;net0');
    assert.match(guestSerial(g).join('\n'), /partitioning \/dev\/vda/);
  });

  it('a broken .nix edit in the ejected copy stops the build step with file and line', async () => {
    await eject(nodeFileStore(), { bundledDir: RES, targetDir: join(ws, 'homelab/nix'), params: resolveParams({}) });
    writeFileSync(join(ws, 'homelab/nix/template.nix'), '{ config, ... }:\n{\n  networking.hostName = "x"\n}\n');
    const h = harness();
    await assert.rejects(runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store: nodeJsonFileStore(h.stateFile), inputs: inputs() }), (e: unknown) => {
      assert.ok(e instanceof PipelineError && e.stepId === 'build');
      assert.match(e.message, /template\.nix:4:1: syntax error, unexpected '}'/);
      return true;
    });
  });

  it('an install that never powers off times out; the VM is left running and listed, nothing deleted', async () => {
    const h = harness({ params: { diskDevice: '/dev/sdb' }, noSerial: true });
    const store = nodeJsonFileStore(h.stateFile);
    let vmid = 0;
    await assert.rejects(runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs({ installTimeoutMs: 1500 }) }), (e: unknown) => {
      assert.ok(e instanceof PipelineError && e.stepId === 'install');
      assert.ok(e.cause instanceof InstallTimeoutError);
      assert.match(e.message, /did not power off within 2 s/);
      const vm = e.created.find((c) => c.kind === 'vm')!;
      vmid = Number(vm.id);
      assert.ok(e.created.some((c) => c.kind === 'volume'));
      return true;
    });
    assert.equal(sim.state.guests.get(vmid)?.status, 'running', 'left running for inspection');
    sim.state.guests.get(vmid)!.status = 'stopped'; // the user's cleanup, so later tests do not see it run
  });

  it('an installer that reports a failure on the console fails the step at once with the log tail', async () => {
    const h = harness({ params: { diskDevice: '/dev/sdb' } });
    const t0 = Date.now();
    let vmid = 0;
    await assert.rejects(runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store: nodeJsonFileStore(h.stateFile), inputs: inputs({ installTimeoutMs: 60_000 }) }), (e: unknown) => {
      assert.ok(e instanceof PipelineError && e.stepId === 'install');
      assert.ok(e.cause instanceof InstallFailedError);
      assert.match(e.message, /disk \/dev\/sdb does not exist in this VM/);
      assert.match(e.message, /homelab-install: FAILED/);
      vmid = Number(e.created.find((c) => c.kind === 'vm')!.id);
      return true;
    });
    assert.ok(Date.now() - t0 < 20_000, 'did not wait for the timeout');
    assert.equal(sim.state.guests.get(vmid)?.status, 'running');
    sim.state.guests.get(vmid)!.status = 'stopped';
  });

  it('a VM stopped before the installer finished is not turned into a template', async () => {
    const h = harness();
    const store = nodeJsonFileStore(h.stateFile);
    const p = runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs(), onLog: (l) => {
      const m = /step 2\/6/.test(l) ? [...sim.state.guests.values()].find((g) => g.status === 'running' && guestSerial(g).some((x) => /step 2\/6/.test(x)) && !guestSerial(g).some((x) => /step 6\/6/.test(x))) : undefined;
      if (m) void client.post(`/nodes/pve1/qemu/${m.vmid}/status/stop`);
    } });
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof PipelineError && e.stepId === 'install', String(e));
      assert.match(e.message, /stopped before it finished/);
      return true;
    });
  });

  it('cancel during the install stops the run (cancelled, resumable); resume finishes the template', async () => {
    const h = harness({ confirm: false });
    const store = nodeJsonFileStore(h.stateFile);
    const ac = new AbortController();
    const lines: string[] = [];
    const p = runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs(), signal: ac.signal, onLog: (l) => { lines.push(l); if (/step 2\/6/.test(l)) ac.abort(); } });
    await assert.rejects(p, (e: unknown) => e instanceof PipelineError && e.cancelled && e.stepId === 'install');
    const saved = JSON.parse(readFileSync(h.stateFile, 'utf8'));
    assert.equal(saved.status, 'cancelled');
    assert.equal(saved.steps.find((x: { id: string }) => x.id === 'install').status, 'cancelled');
    const st = await runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store, inputs: inputs(), resume: true });
    assert.equal(st.status, 'done');
    assert.equal(h.builds(), 1);
  });

  it('cancel during the build stops the nix process group', async () => {
    s.setMode('hang');
    try {
      const h = harness();
      const ac = new AbortController();
      const p = runPipeline(h.steps, { pipeline: TEMPLATE_PIPELINE, store: nodeJsonFileStore(h.stateFile), inputs: inputs(), signal: ac.signal, onLog: (l) => { if (/Creating 4\.0 filesystem/.test(l)) ac.abort(); } });
      await assert.rejects(p, (e: unknown) => e instanceof PipelineError && e.cancelled && e.stepId === 'build');
    } finally {
      s.setMode('ok');
    }
  });
});
