// pipeline_start and cluster_deploy_apply decide before anything runs: refused without a host that
// can run them (the MCP server), refused on an untrusted build host key (named with its fingerprint,
// start never called), on a missing node choice; a confirmation naming node and builder otherwise.
import { strict as assert } from 'node:assert';
import { invoke, operation, OperationRefused, type OperationHost, type PipelinePreview } from '../../../src/operations';

function hostWith(preview: PipelinePreview | undefined, started: unknown[]): OperationHost & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    proxmox: {
      clusters: () => [{ id: 'lab', name: 'Lab' }],
      client: () => Promise.reject(new Error('no client in this test')),
      followTask: () => Promise.reject(new Error('no task in this test')),
      shutdownTimeout: () => 60,
    },
    pipeline: {
      state: async () => undefined,
      ...(preview && {
        preview: async () => preview,
        start: async (o: unknown) => {
          started.push(o);
          return { pipeline: 'nixos-template', runId: 'r1', status: 'done', startedAt: '', updatedAt: '', steps: [{ id: 'create-vm', title: 'Create VM', status: 'done', result: { vmid: 9100 } }], created: [] } as never;
        },
      }),
    },
    activity: async (r) => void lines.push(`${r.what} ${r.result}`),
  };
}

const start = operation('pipeline_start')!;

describe('pipeline_start', () => {
  it('is refused where the pipeline cannot run (the MCP server)', async () => {
    const h = hostWith(undefined, []);
    await assert.rejects(invoke(start, {}, h, { caller: 'test' }), (e: Error) => e instanceof OperationRefused && /runs inside VS Code/.test(e.message));
    assert.match(h.lines[0], /^test · pipeline_start refused: /);
  });

  it('refuses an untrusted build host key, naming host and fingerprint; nothing starts', async () => {
    const started: unknown[] = [];
    const h = hostWith({ node: 'pve1', nodes: ['pve1'], builder: { kind: 'remote', host: 'nixbox', port: 2222, user: 'me', keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc', trusted: false } }, started);
    await assert.rejects(invoke(start, {}, h, { caller: 'test' }), /build host me@nixbox:2222 is not trusted yet \(ssh-ed25519 SHA256:abc\)\. Run "Homelab: Build NixOS Template"/);
    assert.deepEqual(started, []);
  });

  it('refuses an unreachable build host and a missing node choice', async () => {
    await assert.rejects(invoke(start, {}, hostWith({ node: 'pve1', nodes: ['pve1'], builder: { kind: 'remote', host: 'nixbox', port: 22, user: 'me', trusted: false, error: 'ECONNREFUSED' } }, []), { caller: 'test' }), /me@nixbox cannot be reached: ECONNREFUSED/);
    await assert.rejects(invoke(start, {}, hostWith({ nodes: ['pve1', 'pve2'], builder: { kind: 'local', where: 'here' } }, []), { caller: 'test' }), /Name the node to build on \("node"\): Lab has several online nodes \(pve1, pve2\)/);
  });

  it('confirms with node and builder, resumes by default, and runs with the answers given', async () => {
    const started: Array<{ node: string; resume: boolean }> = [];
    const h = hostWith({ node: 'pve2', nodes: ['pve1', 'pve2'], builder: { kind: 'remote', host: 'nixbox', port: 22, user: 'me', fingerprint: 'SHA256:abc', trusted: true }, resumable: { nextStep: 'Install', completed: ['Build ISO'] } }, started as unknown[]);
    let asked = '';
    const r = await invoke(start, {}, h, { caller: 'test', confirm: async (p) => ((asked = p.confirmation!), true) });
    assert.match(asked, /^Resume the NixOS template pipeline on pve2 of Lab at "Install" \(ISO built on nixbox over SSH \(host key SHA256:abc\)\)\?/);
    assert.equal(r.status, 'ok');
    assert.match(r.status === 'ok' ? r.result.text : '', /VM 9100 on pve2/);
    assert.deepEqual(started.map((s) => [s.node, s.resume]), [['pve2', true]]);
    const fresh = await start.prepare({ resume: false }, h);
    assert.match(fresh.confirmation!, /^Build a NixOS template on pve2 of Lab/);
    assert.match(fresh.detail!, /stopped at "Install"; starting over keeps what it made/);
  });

  it('declined: nothing starts', async () => {
    const started: unknown[] = [];
    const h = hostWith({ node: 'pve1', nodes: ['pve1'], builder: { kind: 'local', where: 'this machine' } }, started);
    assert.deepEqual(await invoke(start, {}, h, { caller: 'test', confirm: async () => false }), { status: 'declined' });
    assert.deepEqual(started, []);
  });
});

describe('cluster_deploy_apply', () => {
  const apply = operation('cluster_deploy_apply')!;
  it('is refused where no deploy engine is (the MCP server), and is a side effect, not destructive', async () => {
    assert.equal(apply.effect, 'sideEffect');
    await assert.rejects(invoke(apply, { name: 'k1', template: 9000, sshPublicKeyPath: '/x/id.pub' }, hostWith(undefined, []), { caller: 'test' }), /runs inside VS Code/);
  });
});
