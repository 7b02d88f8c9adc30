import assert from 'node:assert/strict';
import { cloneStorages, cloneTargets, cloneRefusal, startClone, validateClonePlan, CloneAbandonedError, type CloneApi, type CloneContext, type ClonePlan } from '../../../src/providers/proxmox/clone';
import { ProxmoxError } from '../../../src/providers/proxmox/errors';

const storages = (nodes: string[]) => nodes.flatMap((node) => [
  { storage: 'local-lvm', node, shared: false, content: ['images'], available: true },
  { storage: 'local', node, shared: false, content: ['iso', 'vztmpl'], available: true },
  { storage: 'nfs', node, shared: true, content: ['images', 'iso'], available: true },
]);
const ctx = (storage: string): CloneContext => ({
  source: { vmid: 9000, node: 'pve1', template: true, disks: [{ key: 'scsi0', volid: `${storage}:base-9000-disk-0`, storage, sizeBytes: 16 * 2 ** 30 }] },
  nodes: [{ name: 'pve1', online: true }, { name: 'pve2', online: true }, { name: 'pve3', online: false }],
  storages: storages(['pve1', 'pve2', 'pve3']),
});
const plan = (o: Partial<ClonePlan> = {}): ClonePlan => ({ name: 'web-1', full: true, target: 'pve1', sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me'], ip: { kind: 'dhcp' }, start: false, ...o });

const err = (status: number, reason: string, errors?: Record<string, string>) =>
  new ProxmoxError({ kind: status === 400 ? 'parameter' : status === 403 ? 'permission' : 'server', status, reason, errors, message: `Proxmox failed: ${reason}` });

describe('clone planning', () => {
  it('linked clones and local storage stay on the source node; offline nodes never qualify', () => {
    assert.deepEqual(cloneTargets(ctx('local-lvm'), true), ['pve1']);
    assert.deepEqual(cloneTargets(ctx('nfs'), false), ['pve1']);
    assert.deepEqual(cloneTargets(ctx('nfs'), true), ['pve1', 'pve2']);
    assert.deepEqual(cloneTargets(ctx('nfs'), true, 'local-lvm'), ['pve1']);
    assert.deepEqual(cloneStorages(ctx('nfs'), 'pve2'), ['local-lvm', 'nfs']);
  });

  it('explains a clone to a node without the template\'s storage', () => {
    const p = validateClonePlan(plan({ target: 'pve2' }), ctx('local-lvm'));
    assert.equal(p.length, 1);
    assert.match(p[0], /local to pve1 \(local-lvm\)/);
    assert.match(validateClonePlan(plan({ target: 'pve2', full: false }), ctx('nfs'))[0], /linked clone stays/);
    assert.match(validateClonePlan(plan({ target: 'pve3' }), ctx('nfs'))[0], /offline/);
    assert.deepEqual(validateClonePlan(plan({ target: 'pve2', storage: 'nfs' }), ctx('nfs')), []);
  });

  it('collects every bad input', () => {
    const p = validateClonePlan(plan({ name: 'web_1', newid: 42, sshKeys: [], ip: { kind: 'static', cidr: '10.0.0.5/24', gateway: '10.0.1.1' }, diskGiB: 8, ciuser: 'Root' }), ctx('nfs'));
    assert.equal(p.length, 6, p.join('\n'));
    assert.ok(p.some((x) => /only grow/.test(x)));
    const notTpl = ctx('nfs');
    notTpl.source.template = false;
    // A VM that is not a template can be copied by a full clone only (as PVE allows).
    assert.match(validateClonePlan(plan({ full: false }), notTpl)[0], /not a template: only a full clone can copy it/);
    assert.deepEqual(validateClonePlan(plan({ full: true }), notTpl), [], 'a full clone of a VM is accepted');
  });
});

describe('clone request retries', () => {
  function fakeApi(answers: Array<string | Error>, taken = new Set<number>()) {
    const posts: number[] = [];
    let next = 200;
    const api: CloneApi = {
      async get<T>(_path: string, params?: Record<string, unknown>): Promise<T> {
        if (params?.vmid !== undefined) {
          if (taken.has(Number(params.vmid))) throw err(400, 'Parameter verification failed.', { vmid: `VM ${params.vmid} already exists` });
          return String(params.vmid) as T;
        }
        while (taken.has(next)) next++;
        return String(next) as T;
      },
      async post<T>(_path: string, params?: Record<string, unknown>): Promise<T> {
        posts.push(Number(params!.newid));
        const a = answers.shift()!;
        if (a instanceof Error) throw a;
        taken.add(Number(params!.newid));
        return a as T;
      },
    };
    return { api, posts, taken };
  }
  const sleep = async () => {};

  it('takes another ID when nextid raced ("already exists")', async () => {
    const raced = err(500, "VM 200 already exists on node 'pve2'");
    const f = fakeApi([raced, 'UPID:ok']);
    const post = f.api.post.bind(f.api);
    // Someone else creates 200 between our nextid and our POST.
    f.api.post = async <T>(path: string, params?: Record<string, unknown>) => {
      if (f.posts.length === 0) f.taken.add(200);
      return post<T>(path, params);
    };
    const r = await startClone(f.api, { node: 'pve1', vmid: 9000, params: { name: 'x' }, sleep });
    assert.equal(r.upid, 'UPID:ok');
    assert.equal(r.attempts, 2);
    assert.deepEqual(f.posts, [200, 201]);
  });

  it('retries a lock timeout with the same ID after checking it is still free', async () => {
    const f = fakeApi([err(500, "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout"), 'UPID:ok']);
    const delays: number[] = [];
    const r = await startClone(f.api, { node: 'pve1', vmid: 9000, params: {}, sleep: async (ms) => void delays.push(ms) });
    assert.deepEqual(f.posts, [200, 200]);
    assert.equal(r.newid, 200);
    assert.equal(delays.length, 1);
  });

  it('never repeats a POST after any other failure (a 5xx that may have cloned)', async () => {
    const f = fakeApi([err(503, 'Service Unavailable'), 'UPID:ok']);
    await assert.rejects(startClone(f.api, { node: 'pve1', vmid: 9000, params: {}, sleep }), /Service Unavailable/);
    assert.equal(f.posts.length, 1);
    const g = fakeApi([err(403, 'Permission check failed (/vms/9000, VM.Clone)')]);
    await assert.rejects(startClone(g.api, { node: 'pve1', vmid: 9000, params: {}, sleep }), /Permission check failed/);
    assert.equal(g.posts.length, 1);
  });

  it('a user-chosen ID that is taken is an error, not silently replaced', async () => {
    const f = fakeApi([err(500, "VM 300 already exists on node 'pve1'")]);
    await assert.rejects(startClone(f.api, { node: 'pve1', vmid: 9000, params: {}, newid: 300, sleep }), CloneAbandonedError);
    assert.equal(f.posts.length, 1);
  });

  it('gives up after maxAttempts lock timeouts, saying nothing was created', async () => {
    const lock = () => err(500, "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout");
    const f = fakeApi([lock(), lock(), lock()]);
    await assert.rejects(startClone(f.api, { node: 'pve1', vmid: 9000, params: {}, maxAttempts: 3, sleep }), /Nothing was created/);
    assert.equal(f.posts.length, 3);
  });

  it('classifies only the refusals that prove nothing was created', () => {
    assert.equal(cloneRefusal(err(400, 'Parameter verification failed.', { newid: 'VM 218 already exists' })), 'id-taken');
    assert.equal(cloneRefusal(err(500, "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout")), 'lock-timeout');
    assert.equal(cloneRefusal(err(500, 'VM is locked (clone)')), undefined);
    assert.equal(cloneRefusal(new ProxmoxError({ kind: 'timeout', message: 'timed out' })), undefined);
  });
});
