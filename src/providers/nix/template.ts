// The concrete steps of the ISO-to-template pipeline, against the Proxmox client. What the
// outside world needs beyond Proxmox (building, confirming a deletion, the journal, the serial
// console) comes in as functions, so the VS Code command only wires them.
import { randomBytes } from 'node:crypto';
import { pathSegment } from '../proxmox/client';
import { ProxmoxError } from '../proxmox/errors';
import { planIsoRetention, homelabIsoName, isoFileName, deleteIsos } from '../proxmox/retention';
import { followTask, type TaskOutcome } from '../proxmox/tasks';
import type { StorageContentItem } from '../proxmox/types';
import { uploadIso, formatRate, type UploadClient, type UploadProgress } from '../proxmox/upload';
import { formatDuration, type PipelineStep, type StepContext } from './pipeline';

export const TEMPLATE_PIPELINE = 'nixos-template';
export { PIPELINE_STATE_FILE } from './pipeline-file';

export interface TemplateInputs {
  node: string;
  /** Storage with ISO content (default local). */
  isoStorage: string;
  /** Storage of the VM disk and the cloud-init drive (default local-lvm). */
  diskStorage: string;
  diskSizeGiB: number;
  bridge: string;
  name: string;
  memoryMiB: number;
  cores: number;
  /** Fixed VMID, else /cluster/nextid. */
  vmid?: number;
  installTimeoutMs: number;
  /** Keep the newest K Homelab ISOs on isoStorage. */
  keepIsos: number;
  tags?: string;
  /** The installer's target (homelab.nix.diskDevice): /dev/sda -> scsi0, /dev/vda -> virtio0. Default /dev/sda. */
  diskDevice?: string;
}

export const DEFAULT_TEMPLATE_INPUTS: Omit<TemplateInputs, 'node'> = {
  isoStorage: 'local', diskStorage: 'local-lvm', diskSizeGiB: 20, bridge: 'vmbr0', name: 'nixos-template',
  memoryMiB: 2048, cores: 2, installTimeoutMs: 45 * 60_000, keepIsos: 3, tags: 'nixos;template',
};

/** The Proxmox calls the steps make (ProxmoxClient fits). */
export type TemplateClient = UploadClient & {
  post<T>(path: string, params?: Record<string, unknown>): Promise<T>;
  put<T>(path: string, params?: Record<string, unknown>): Promise<T>;
  nextId(): Promise<number>;
  storageContent(node: string, storage: string, content?: string): Promise<StorageContentItem[]>;
};

export interface TemplateDeps {
  client: TemplateClient;
  /** Builds the ISO (locally or on the build host) and returns its local path, or the volid when
   *  the build host uploaded it to Proxmox itself (the upload step then has nothing to do). */
  buildIso(ctx: StepContext<TemplateInputs>): Promise<{ isoPath?: string; sha256?: string; volid?: string }>;
  /** Asked before deleting old ISOs; false keeps them. */
  confirmDelete(items: StorageContentItem[]): Promise<boolean>;
  /** Appends the activity line to the journal; returns where it went. */
  appendJournal(line: string): Promise<string | void>;
  /** New serial console lines of the VM since line `from` (the install log); optional. */
  readSerial?(node: string, vmid: number, from: number): Promise<string[]>;
  onUploadProgress?(p: UploadProgress): void;
  /** Poll interval of task and VM status, default 2000. */
  pollMs?: number;
  now?: () => number;
}

export class InstallTimeoutError extends Error {
  override name = 'InstallTimeoutError';
  constructor(readonly vmid: number, readonly timeoutMs: number, readonly logTail: string[]) {
    super(`VM ${vmid} did not power off within ${formatDuration(timeoutMs)}: the auto-install did not finish. ` +
      `It was left running so you can look at its console.` + (logTail.length ? ` Last lines:\n${logTail.join('\n')}` : ''));
  }
}

/** The installer said it failed (serial console), or the VM powered off before it finished. */
export class InstallFailedError extends Error {
  override name = 'InstallFailedError';
  constructor(readonly vmid: number, reason: string, readonly logTail: string[]) {
    super(`The auto-install in VM ${vmid} ${reason}. The VM was left as it is for you to look at.` + (logTail.length ? ` Last lines:\n${logTail.join('\n')}` : ''));
  }
}

function vmPath(node: string, vmid: number, rest = ''): string {
  return `/nodes/${pathSegment(node)}/qemu/${vmid}${rest}`;
}

async function runTask(deps: TemplateDeps, ctx: StepContext<TemplateInputs>, upid: string, what: string): Promise<TaskOutcome> {
  const out = await followTask(deps.client, upid, { onLog: (ls) => ls.forEach((l) => ctx.log(`  ${l}`)), signal: ctx.signal, pollMs: deps.pollMs ?? 2000 });
  if (out.cancelled) throw new Error(`${what} was stopped`);
  if (out.status === 'error') throw new Error(`${what} failed: ${out.exitstatus}`);
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal.removeEventListener('abort', on); resolve(); }, ms);
    const on = () => { clearTimeout(t); reject(signal.reason); };
    signal.addEventListener('abort', on, { once: true });
  });
}

/** The VM disk the installer's device needs: /dev/sda is scsi0 (virtio-scsi), /dev/vda is virtio0.
 *  Anything else is a device the VM made here will not have. */
export function diskKeyForDevice(device = '/dev/sda'): 'scsi0' | 'virtio0' | undefined {
  if (device === '/dev/sda') return 'scsi0';
  if (device === '/dev/vda') return 'virtio0';
  return undefined;
}

export class DiskDeviceError extends Error {
  override name = 'DiskDeviceError';
  constructor(readonly device: string) {
    super(`The installer is set to write to ${device}, a disk the VM made here will not have (its only disk is /dev/sda on scsi0, or /dev/vda on virtio0). Set homelab.nix.diskDevice (or diskDevice in your homelab-params.nix) to /dev/sda or /dev/vda.`);
  }
}

/** The VM config the pipeline creates (exported for tests and the docs). */
export function vmCreateParams(i: TemplateInputs, vmid: number, isoVolid: string, marker?: string): Record<string, string | number> {
  const disk = diskKeyForDevice(i.diskDevice);
  if (!disk) throw new DiskDeviceError(i.diskDevice!);
  return {
    vmid,
    name: i.name,
    memory: i.memoryMiB,
    cores: i.cores,
    sockets: 1,
    cpu: 'x86-64-v2-AES',
    ostype: 'l26',
    bios: 'seabios', // the template boots GRUB for BIOS
    scsihw: 'virtio-scsi-single',
    [disk]: `${i.diskStorage}:${i.diskSizeGiB},iothread=1`,
    ide2: `${isoVolid},media=cdrom`,
    net0: `virtio,bridge=${i.bridge}`,
    agent: 'enabled=1',
    serial0: 'socket',
    // The empty disk is not bootable, so the ISO boots first; once installed the disk wins.
    boot: `order=${disk};ide2;net0`,
    ...(i.tags ? { tags: i.tags } : {}),
    // Lets a resumed run recognise the VM its lost POST created (see the create-vm step).
    ...(marker ? { description: vmMarker(marker) } : {}),
  };
}

export const vmMarker = (token: string) => `Created by the Homelab template pipeline (run ${token}).`;

/**
 * Whether VM `vmid` exists and carries `marker` (then it is the one an earlier POST created; waits
 * for its create task's lock to clear), exists without it (someone else's: never touched), or is absent.
 */
async function findOwnVm(c: TemplateClient, vmid: number, marker: string, ctx: StepContext<TemplateInputs>, pollMs: number): Promise<'ours' | 'other' | 'absent'> {
  const vms = await c.get<Array<{ vmid?: number; node?: string }>>('/cluster/resources', { type: 'vm' });
  const vm = vms.find((v) => v.vmid === vmid);
  if (!vm?.node) return 'absent';
  for (;;) {
    const conf = await c.get<{ description?: string; lock?: string }>(vmPath(vm.node, vmid, '/config'));
    if (!String(conf.description ?? '').includes(vmMarker(marker))) return 'other';
    if (conf.lock !== 'create') return 'ours';
    ctx.signal.throwIfAborted();
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function templateSteps(deps: TemplateDeps): PipelineStep<TemplateInputs>[] {
  const c = deps.client;
  const pollMs = deps.pollMs ?? 2000;
  const now = deps.now ?? Date.now;
  const vmidOf = (ctx: StepContext<TemplateInputs>) => Number(ctx.results['create-vm']?.vmid);
  return [
    {
      // Everything that can be checked before a build of up to half an hour.
      id: 'preflight', title: 'Check node, storages and disk',
      run: async (ctx) => {
        const { node, isoStorage, diskStorage, diskDevice } = ctx.inputs;
        if (!diskKeyForDevice(diskDevice)) throw new DiskDeviceError(diskDevice!);
        const list = await c.get<Array<{ storage: string; content?: string; avail?: number }>>(`/nodes/${pathSegment(node)}/storage`);
        const holds = (id: string, what: string) => String(list.find((x) => x.storage === id)?.content ?? '').split(',').includes(what);
        const with_ = (what: string) => list.filter((x) => holds(x.storage, what)).map((x) => x.storage).join(', ') || 'none';
        if (!holds(isoStorage, 'iso')) throw new Error(`Storage "${isoStorage}" on ${node} ${list.some((x) => x.storage === isoStorage) ? 'does not hold ISO images' : 'does not exist'}; storages there that do: ${with_('iso')}.`);
        if (!holds(diskStorage, 'images')) throw new Error(`Storage "${diskStorage}" on ${node} ${list.some((x) => x.storage === diskStorage) ? 'does not hold VM disks' : 'does not exist'}; storages there that do: ${with_('images')}.`);
        const d = list.find((x) => x.storage === diskStorage)!;
        if (typeof d.avail === 'number' && d.avail < ctx.inputs.diskSizeGiB * 2 ** 30) {
          throw new Error(`Storage "${diskStorage}" on ${node} has ${(d.avail / 2 ** 30).toFixed(1)} GiB free, the template disk needs ${ctx.inputs.diskSizeGiB} GiB.`);
        }
        return { node };
      },
    },
    {
      id: 'build', title: 'Build the NixOS ISO',
      run: async (ctx) => {
        const r = await deps.buildIso(ctx);
        if (r.volid) {
          await ctx.created({ kind: 'volume', id: r.volid, node: ctx.inputs.node, description: `ISO ${r.volid} on ${ctx.inputs.node}` });
          return { volid: r.volid, ...(r.sha256 ? { sha256: r.sha256 } : {}) };
        }
        if (!r.isoPath) throw new Error('The build returned neither an ISO file nor an uploaded volume.');
        await ctx.created({ kind: 'local-file', id: r.isoPath, description: `ISO file ${r.isoPath}` });
        return { isoPath: r.isoPath, ...(r.sha256 ? { sha256: r.sha256 } : {}) };
      },
    },
    {
      id: 'upload', title: 'Upload the ISO to Proxmox',
      run: async (ctx) => {
        const { node, isoStorage } = ctx.inputs;
        if (ctx.results.build.volid) {
          ctx.log(`  ${String(ctx.results.build.volid)} was uploaded by the build host (sha256 verified by Proxmox)`);
          return { volid: String(ctx.results.build.volid), sha256: ctx.results.build.sha256, fromBuildHost: true };
        }
        const filename = homelabIsoName(new Date(now()));
        let last = 0;
        const r = await uploadIso(c, {
          node, storage: isoStorage, filePath: String(ctx.results.build.isoPath), filename,
          sha256: ctx.results.build.sha256 as string | undefined, signal: ctx.signal, pollMs: deps.pollMs,
          onTaskLog: (ls) => ls.forEach((l) => ctx.log(`  ${l}`)),
          onProgress: (p) => {
            deps.onUploadProgress?.(p);
            if (p.phase === 'uploading' && now() - last > 5000) {
              last = now();
              ctx.log(`  ${Math.floor((p.bytes * 100) / Math.max(1, p.total))}% ${formatRate(p.bytesPerSecond)}${p.etaSeconds !== undefined ? `, ${formatDuration(p.etaSeconds * 1000)} left` : ''}`);
            }
          },
        });
        await ctx.created({ kind: 'volume', id: r.volid, node, description: `ISO ${r.volid} on ${node}` });
        ctx.log(`  uploaded ${r.volid} (sha256 ${r.sha256.slice(0, 16)}..., verified by Proxmox)`);
        return { volid: r.volid, sha256: r.sha256, bytes: r.bytes };
      },
    },
    {
      id: 'create-vm', title: 'Create the VM',
      run: async (ctx) => {
        const i = ctx.inputs;
        const volid = String(ctx.results.upload.volid);
        if (!diskKeyForDevice(i.diskDevice)) throw new DiskDeviceError(i.diskDevice!);
        // The chosen VM ID is recorded (with a marker the VM carries) BEFORE the POST: if its answer
        // is lost (a timeout after Proxmox ran it), a resume finds that VM instead of making a second.
        let retryId: number | undefined;
        for (const earlier of ctx.previous.filter((p) => p.kind === 'vm' && p.marker).reverse()) {
          const found = await findOwnVm(c, Number(earlier.id), earlier.marker!, ctx, pollMs);
          if (found === 'ours') {
            ctx.log(`  VM ${earlier.id} was created by the earlier attempt (its answer was lost): using it`);
            return { vmid: Number(earlier.id) };
          }
          if (found === 'absent' && retryId === undefined) retryId = Number(earlier.id);
        }
        for (let attempt = 0; ; attempt++) {
          const vmid = i.vmid ?? (attempt === 0 && retryId !== undefined ? retryId : await c.nextId());
          const marker = randomBytes(6).toString('hex');
          await ctx.created({ kind: 'vm', id: String(vmid), node: i.node, description: `VM ${vmid} (${i.name}) on ${i.node}`, marker });
          let upid: string;
          try {
            upid = await c.post<string>(`/nodes/${pathSegment(i.node)}/qemu`, vmCreateParams(i, vmid, volid, marker));
          } catch (e) {
            // nextid does not reserve: a parallel create took it. Refused synchronously, so not run: retry once.
            if (i.vmid === undefined && attempt === 0 && e instanceof ProxmoxError && /already exists/.test(e.message)) continue;
            throw e;
          }
          await runTask(deps, ctx, upid, `Creating VM ${vmid}`);
          return { vmid };
        }
      },
    },
    {
      id: 'start', title: 'Start the VM (auto-install)',
      run: async (ctx) => {
        const vmid = vmidOf(ctx);
        const st = await c.get<{ status: string }>(vmPath(ctx.inputs.node, vmid, '/status/current'));
        if (st.status === 'running') {
          ctx.log(`  VM ${vmid} is already running`);
          return { vmid };
        }
        await runTask(deps, ctx, await c.post<string>(vmPath(ctx.inputs.node, vmid, '/status/start')), `Starting VM ${vmid}`);
        return { vmid, startedAt: new Date(now()).toISOString() };
      },
    },
    {
      id: 'install', title: 'Wait for the install to power off',
      run: async (ctx) => {
        const vmid = vmidOf(ctx);
        const { node, installTimeoutMs } = ctx.inputs;
        const t0 = now();
        const tail: string[] = [];
        let seen = 0;
        let lastBeat = t0;
        const poll = deps.pollMs ?? 2000;
        let installerSeen = false;
        let finished = false;
        const readConsole = async () => {
          if (!deps.readSerial) return;
          try {
            const lines = await deps.readSerial(node, vmid, seen);
            seen += lines.length;
            for (const l of lines) {
              ctx.log(`  ${l}`);
              tail.push(l);
              if (tail.length > 20) tail.shift();
              if (/homelab-install:/.test(l)) installerSeen = true;
              if (/homelab-install: step 6\/6/.test(l)) finished = true;
              if (/homelab-install: FAILED/.test(l)) throw new InstallFailedError(vmid, 'failed', tail);
            }
          } catch (e) {
            if (e instanceof InstallFailedError) throw e;
            /* the console is best effort; the status decides */
          }
        };
        for (;;) {
          await readConsole();
          const st = await c.get<{ status: string }>(vmPath(node, vmid, '/status/current'));
          if (st.status === 'stopped') {
            await readConsole();
            // Our installer announces its last step; a power-off without it was not the installer's.
            if (installerSeen && !finished) throw new InstallFailedError(vmid, 'stopped before it finished (the VM powered off early)', tail);
            return { vmid, installMs: now() - t0 };
          }
          if (now() - t0 > installTimeoutMs) throw new InstallTimeoutError(vmid, installTimeoutMs, tail);
          if (!deps.readSerial && now() - lastBeat > 60_000) {
            lastBeat = now();
            ctx.log(`  VM ${vmid} still installing (${formatDuration(now() - t0)})`);
          }
          await sleep(poll, ctx.signal);
        }
      },
    },
    {
      id: 'detach-iso', title: 'Detach the ISO',
      run: async (ctx) => {
        const vmid = vmidOf(ctx);
        await c.put(vmPath(ctx.inputs.node, vmid, '/config'), { ide2: 'none,media=cdrom', boot: `order=${diskKeyForDevice(ctx.inputs.diskDevice) ?? 'scsi0'};net0` });
        return { vmid };
      },
    },
    {
      id: 'cloud-init', title: 'Add the cloud-init drive',
      run: async (ctx) => {
        const vmid = vmidOf(ctx);
        const conf = await c.get<Record<string, unknown>>(vmPath(ctx.inputs.node, vmid, '/config'));
        const has = Object.values(conf).some((v) => typeof v === 'string' && v.includes('cloudinit'));
        if (!has) await c.put(vmPath(ctx.inputs.node, vmid, '/config'), { ide0: `${ctx.inputs.diskStorage}:cloudinit`, ipconfig0: 'ip=dhcp' });
        return { vmid };
      },
    },
    {
      id: 'template', title: 'Convert to a template',
      run: async (ctx) => {
        const vmid = vmidOf(ctx);
        const st = await c.get<{ template?: number }>(vmPath(ctx.inputs.node, vmid, '/status/current'));
        if (!st.template) await runTask(deps, ctx, await c.post<string>(vmPath(ctx.inputs.node, vmid, '/template')), `Converting VM ${vmid} to a template`);
        return { vmid };
      },
    },
    {
      id: 'retention', title: 'Apply ISO retention',
      run: async (ctx) => {
        const { node, isoStorage, keepIsos } = ctx.inputs;
        const items = await c.storageContent(node, isoStorage, 'iso');
        const plan = planIsoRetention(items, { keep: keepIsos, protect: [String(ctx.results.upload.volid)] });
        if (!plan.remove.length) return { removed: [], kept: plan.keep.map((i) => i.volid) };
        ctx.log(`  older ISOs beyond the newest ${keepIsos}: ${plan.remove.map((i) => isoFileName(i.volid)).join(', ')}`);
        if (!(await deps.confirmDelete(plan.remove))) {
          ctx.log('  kept (not confirmed)');
          return { removed: [], kept: [...plan.keep, ...plan.remove].map((i) => i.volid), declined: true };
        }
        const removed = await deleteIsos(c, node, isoStorage, plan.remove.map((i) => i.volid), { signal: ctx.signal, pollMs: deps.pollMs ?? 2000, onLog: (ls) => ls.forEach((l) => ctx.log(`  ${l}`)) });
        return { removed, kept: plan.keep.map((i) => i.volid) };
      },
    },
    {
      id: 'journal', title: 'Write the journal entry',
      run: async (ctx) => {
        const vmid = vmidOf(ctx);
        const r = ctx.results;
        const line = `NixOS template ${ctx.inputs.name} (VM ${vmid}) on ${ctx.inputs.node} from ${isoFileName(String(r.upload.volid))}` +
          `, install ${formatDuration(Number(r.install.installMs ?? 0))}` +
          (Array.isArray(r.retention.removed) && r.retention.removed.length ? `, removed ${r.retention.removed.length} old ISO(s)` : '');
        const where = await deps.appendJournal(line);
        return { line, ...(where ? { where } : {}) };
      },
    },
  ];
}
