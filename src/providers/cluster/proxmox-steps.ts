// The deploy steps against a real Proxmox cluster: clone (lock-safe, via startClone) and tag,
// configure cloud-init and hardware, grow the disk, start, wait for the guest agent's address and
// for SSH (an unknown host key is pinned only once the user accepted it; a key that differs from
// the one known for the address is refused, and the known one kept), and destroy,
// which deletes a VM only after re-reading its config and finding the cluster's tag.
import { startClone } from '../proxmox/clone';
import { encodeSshKeys } from '../proxmox/cloud-init';
import { isProxmoxError } from '../proxmox/errors';
import { agentProblem, guestAddress, type AgentInterface } from '../proxmox/guest-agent';
import { followTask, type TaskOutcome } from '../proxmox/tasks';
import { pathSegment } from '../proxmox/client';
import { waitForSsh, type ConfirmUnknown, type KnownHosts } from '../ssh';
import type { DeploySteps } from './deploy';
import type { Plan, PlannedVm } from './plan';

export interface StepsApi {
  get<T>(path: string, params?: Record<string, unknown>, opts?: { signal?: AbortSignal }): Promise<T>;
  post<T>(path: string, params?: Record<string, unknown>): Promise<T>;
  put<T>(path: string, params?: Record<string, unknown>): Promise<T>;
  delete<T>(path: string, params?: Record<string, unknown>): Promise<T>;
}

export interface ProxmoxStepsOptions {
  plan: Plan;
  /** Public key lines for cloud-init's `sshkeys`. */
  sshKeys: string[];
  ciuser: string;
  knownHosts: KnownHosts;
  /** One line of progress for a VM (the deploy terminal). */
  log?: (vm: PlannedVm, line: string) => void;
  /** Where to reach a VM's sshd; default its agent address, port 22 (tests map VMs to a loopback sshd). */
  sshAddress?: (vm: PlannedVm, ip: string) => { host: string; port: number };
  pollMs?: number; // task and agent polling, default 1000
  agentTimeoutMs?: number; // default 300 s
  sshTimeoutMs?: number; // default 300 s
  sshIntervalMs?: number; // first delay between SSH attempts, default 1000
  /** First delay between clone attempts on a lock timeout (startClone's baseDelayMs). */
  cloneRetryDelayMs?: number;
}

export class StepError extends Error {
  override readonly name = 'StepError';
}

const DISK_KEY = /^(scsi|virtio|sata|ide)\d+$/;
const vmPath = (vm: { node: string; vmid: number }) => `/nodes/${pathSegment(vm.node)}/qemu/${pathSegment(vm.vmid)}`;
const tagsOf = (conf: Record<string, unknown>) => String(conf.tags ?? '').split(/[;, ]+/).filter(Boolean);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function sizeGiB(spec: string): number {
  const m = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)/.exec(spec);
  if (!m) return 0;
  return Number(m[1]) * ({ '': 2 ** -30, K: 2 ** -20, M: 2 ** -10, G: 1, T: 1024 } as Record<string, number>)[m[2]];
}

export class ProxmoxDeploySteps implements DeploySteps {
  /** Requests made, by kind (the benchmark reports them). */
  readonly counts = { cloneAttempts: 0, taskPolls: 0, agentPolls: 0, sshAttempts: 0 };
  /** VM IDs whose clone task this deployment saw finish OK (they are ours even before tagging). */
  private readonly cloned = new Set<number>();

  constructor(private readonly api: StepsApi, private readonly o: ProxmoxStepsOptions) {}

  private log(vm: PlannedVm, line: string): void {
    this.o.log?.(vm, line);
  }

  /** Follows a task quietly: its log lines go to the deploy log; an error or cancel throws. */
  private async follow(vm: PlannedVm, upid: string, what: string, signal: AbortSignal): Promise<TaskOutcome> {
    const outcome = await followTask(this.api, upid, {
      signal,
      pollMs: this.o.pollMs ?? 1000,
      onLog: (lines) => {
        this.counts.taskPolls++;
        for (const l of lines) this.log(vm, `  ${l}`);
      },
    });
    // A task that finished before the stop request reached it did its work: the caller must count it
    // (a clone that completed is a VM to roll back), so only a failed task throws.
    if (outcome.status === 'error') throw new StepError(outcome.cancelled ? `${what} was cancelled (the task was stopped).` : `${what} failed: ${outcome.exitstatus}`);
    return outcome;
  }

  async clone(vm: PlannedVm, signal: AbortSignal, created: () => void = () => {}): Promise<void> {
    const t = this.o.plan.template;
    if (this.cloned.has(vm.vmid)) {
      // Our clone task finished before; only the tagging failed: do just that.
      created();
      this.log(vm, `already cloned: tagging ${this.o.plan.tag}`);
      await this.api.put(`${vmPath(vm)}/config`, { tags: `${this.o.plan.tag};${vm.role}` });
      return;
    }
    const params: Record<string, string | number> = { name: vm.name, full: 0 };
    if (vm.node !== t.node) params.target = vm.node;
    this.log(vm, `clone ${t.name} (${t.vmid}) -> ${vm.vmid} on ${vm.node}`);
    const { upid } = await startClone(this.api, {
      node: t.node, vmid: t.vmid, params, newid: vm.vmid, signal,
      baseDelayMs: this.o.cloneRetryDelayMs,
      onRetry: (r) => {
        this.counts.cloneAttempts++;
        this.log(vm, `  the template is locked by another clone: trying again in ${(r.delayMs / 1000).toFixed(1)} s (nothing was created)`);
      },
    });
    this.counts.cloneAttempts++;
    this.log(vm, `  ${upid}`);
    await this.follow(vm, upid, `Cloning ${vm.name}`, signal);
    this.cloned.add(vm.vmid);
    created();
    // Tag it at once: the tag is what lets rollback and destroy recognise the VM as ours.
    await this.api.put(`${vmPath(vm)}/config`, { tags: `${this.o.plan.tag};${vm.role}` });
  }

  async configure(vm: PlannedVm, signal: AbortSignal): Promise<void> {
    const net = this.o.plan.network;
    const params: Record<string, string | number> = {
      name: vm.name,
      cores: vm.cores,
      memory: vm.memoryMiB,
      ciuser: this.o.ciuser,
      sshkeys: encodeSshKeys(this.o.sshKeys),
      ipconfig0: vm.ipconfig,
      tags: `${this.o.plan.tag};${vm.role}`,
      agent: 1,
    };
    if (net.kind === 'static' && net.dns) params.nameserver = net.dns.split(/[ ,]+/).filter(Boolean).join(' ');
    if (net.kind === 'static' && net.searchDomain) params.searchdomain = net.searchDomain;
    this.log(vm, `configure: ${vm.cores} cores, ${vm.memoryMiB} MiB, user ${this.o.ciuser}, ${vm.ipconfig}`);
    await this.api.put(`${vmPath(vm)}/config`, params);
    signal.throwIfAborted();
    const conf = await this.api.get<Record<string, unknown>>(`${vmPath(vm)}/config`);
    const disk = Object.entries(conf).find(([k, v]) => DISK_KEY.test(k) && !/media=cdrom|cloudinit/.test(String(v)));
    if (!disk) return this.log(vm, '  no disk to grow');
    const current = sizeGiB(String(disk[1]));
    if (current >= vm.diskGiB) return this.log(vm, `  ${disk[0]} has ${current} GiB already`);
    const upid = await this.api.put<string>(`${vmPath(vm)}/resize`, { disk: disk[0], size: `${vm.diskGiB}G` });
    this.log(vm, `  grow ${disk[0]} to ${vm.diskGiB} GiB`);
    if (typeof upid === 'string' && upid.startsWith('UPID:')) await this.follow(vm, upid, `Growing the disk of ${vm.name}`, signal);
  }

  async start(vm: PlannedVm, signal: AbortSignal): Promise<void> {
    this.log(vm, 'start');
    const upid = await this.api.post<string>(`${vmPath(vm)}/status/start`);
    await this.follow(vm, upid, `Starting ${vm.name}`, signal);
  }

  async waitForAddress(vm: PlannedVm, signal: AbortSignal): Promise<string> {
    const timeoutMs = this.o.agentTimeoutMs ?? 300_000;
    const until = Date.now() + timeoutMs;
    this.log(vm, 'waiting for the guest agent to report an address');
    let last = '';
    for (;;) {
      signal.throwIfAborted();
      this.counts.agentPolls++;
      try {
        const r = await this.api.get<{ result?: AgentInterface[] }>(`${vmPath(vm)}/agent/network-get-interfaces`, undefined, { signal });
        const ip = guestAddress(r.result ?? []);
        if (ip) {
          if (vm.address && ip !== vm.address) this.log(vm, `  the agent reports ${ip}, not the planned ${vm.address}: using ${ip}`);
          this.log(vm, `  address ${ip}`);
          return ip;
        }
        last = 'the agent reports no usable address yet';
      } catch (e) {
        if (signal.aborted) throw e;
        const text = isProxmoxError(e) ? `${e.reason ?? ''} ${e.message}` : String(e);
        const problem = agentProblem(text);
        if (problem === 'not-configured') throw new StepError(`${vm.name} has no QEMU guest agent configured, so its address cannot be read.`);
        if (problem === 'vm-stopped') throw new StepError(`${vm.name} stopped while waiting for its address: look at its console in Proxmox.`);
        if (isProxmoxError(e) && e.status === 595) throw e; // node down: not worth waiting for
        last = problem === 'not-running' ? 'the guest agent is not running yet' : text;
      }
      if (Date.now() >= until) {
        throw new StepError(
          `The QEMU guest agent of ${vm.name} did not report an address within ${Math.round(timeoutMs / 1000)} s (${last}). ` +
            'Is qemu-guest-agent installed and enabled in the template (NixOS: services.qemuGuest.enable = true), and does the VM get an address (DHCP, or the static plan)?',
        );
      }
      await sleep(this.o.pollMs ?? 1000, signal);
    }
  }

  async waitForSsh(vm: PlannedVm, ip: string, signal: AbortSignal, confirmUnknown: ConfirmUnknown): Promise<string> {
    const { host, port } = this.o.sshAddress?.(vm, ip) ?? { host: ip, port: 22 };
    this.log(vm, `waiting for SSH on ${host}:${port}`);
    // A key already known for this address is never forgotten here, even though the VM is new: a
    // different key is refused (HostKeyMismatchError names both fingerprints), an unknown one waits
    // for the user's answer.
    const r = await waitForSsh({
      host, port, signal,
      timeoutMs: this.o.sshTimeoutMs ?? 300_000,
      intervalMs: this.o.sshIntervalMs ?? 1000,
      knownHosts: this.o.knownHosts,
      confirmUnknown: (info) => {
        this.log(vm, `  new host key ${info.keyType} ${info.fingerprint}: waiting for your answer`);
        return confirmUnknown(info);
      },
      onAttempt: (n, err) => {
        this.counts.sshAttempts++;
        this.log(vm, `  ssh attempt ${n}: ${err.message}`);
      },
    });
    this.counts.sshAttempts++;
    this.log(vm, `  ssh answers: ${r.keyType} ${r.fingerprint} (${r.status})`);
    return r.fingerprint;
  }

  async destroy(vm: PlannedVm, signal: AbortSignal): Promise<void> {
    await destroyTaggedVm(this.api, { vmid: vm.vmid, name: vm.name }, this.o.plan.tag, signal, (line) => this.log(vm, line), this.o.pollMs,
      // A VM our own clone task just made may still lack the tag (tagging failed): it is ours if it has no tag at all and our name.
      this.cloned.has(vm.vmid) ? (conf) => !tagsOf(conf).length && conf.name === vm.name : undefined);
  }
}

/**
 * Stops and deletes (with purge) one VM, but only after re-reading its config and finding `tag`
 * among its tags. Finds the VM's node itself (it may have migrated). A VM that is gone already is
 * fine; one without the tag is refused.
 */
export async function destroyTaggedVm(
  api: StepsApi, vm: { vmid: number; name: string }, tag: string, signal: AbortSignal, log: (line: string) => void = () => {}, pollMs = 1000,
  ownUntagged?: (conf: Record<string, unknown>) => boolean,
): Promise<'deleted' | 'gone'> {
  const all = await api.get<Array<{ vmid?: number; node?: string; type?: string }>>('/cluster/resources', { type: 'vm' });
  const where = all.find((r) => r.vmid === vm.vmid && r.type === 'qemu');
  if (!where?.node) {
    log(`VM ${vm.vmid} does not exist (any more): nothing to delete`);
    return 'gone';
  }
  const path = vmPath({ node: where.node, vmid: vm.vmid });
  const conf = await api.get<Record<string, unknown>>(`${path}/config`);
  if (!tagsOf(conf).includes(tag) && !ownUntagged?.(conf)) {
    throw new StepError(`VM ${vm.vmid} (${String(conf.name ?? vm.name)}) does not carry the tag ${tag}: not deleting it.`);
  }
  const follow = async (upid: string, what: string) => {
    const o = await followTask(api, upid, { signal, pollMs });
    if (o.status === 'error' || o.cancelled) throw new StepError(`${what} failed: ${o.exitstatus}`);
  };
  const status = await api.get<{ status: string }>(`${path}/status/current`);
  if (status.status !== 'stopped') {
    log(`stop ${vm.vmid}`);
    await follow(await api.post<string>(`${path}/status/stop`), `Stopping ${vm.name}`);
  }
  log(`delete ${vm.vmid} (purge)`);
  await follow(await api.delete<string>(path, { purge: 1 }), `Deleting ${vm.name}`);
  return 'deleted';
}

