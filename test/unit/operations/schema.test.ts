import * as assert from 'node:assert/strict';
import { auditInput, invoke, InvalidInput, OperationRefused, validateInput, type Operation, type OperationHost } from '../../../src/operations';

const schema = {
  type: 'object' as const,
  properties: { vmid: { type: 'integer' as const, minimum: 100 }, name: { type: 'string' as const, pattern: '^[a-z]+$' }, full: { type: 'boolean' as const, default: false }, keys: { type: 'array' as const, items: { type: 'string' as const }, maxItems: 2 }, kind: { type: 'string' as const, enum: ['a', 'b'] } },
  required: ['vmid'],
  additionalProperties: false,
};

describe('operations: input validation and the audit line', () => {
  it('names the bad field and why', () => {
    const bad = (input: unknown, re: RegExp) => assert.throws(() => validateInput(schema, input), (e: unknown) => e instanceof InvalidInput && re.test(e.message));
    bad({}, /^vmid: is required$/);
    bad({ vmid: '101' }, /^vmid: must be an integer$/);
    bad({ vmid: 1.5 }, /^vmid: must be an integer$/);
    bad({ vmid: 99 }, /^vmid: must be at least 100$/);
    bad({ vmid: 100, name: 'A B' }, /^name: must match/);
    bad({ vmid: 100, keys: ['a', 2] }, /^keys\[1\]: must be a string$/);
    bad({ vmid: 100, keys: ['a', 'b', 'c'] }, /^keys: must have at most 2 items$/);
    bad({ vmid: 100, kind: 'c' }, /^kind: must be one of a, b$/);
    bad({ vmid: 100, extra: 1 }, /^extra: is not a known field$/);
    bad([], /^input: must be an object$/);
  });

  it('fills defaults and keeps valid input', () => {
    assert.deepEqual(validateInput(schema, { vmid: 100, name: 'web' }), { vmid: 100, name: 'web', full: false });
    assert.deepEqual(validateInput({ type: 'object', properties: {} }, undefined), {});
  });

  it('the audit input hides secrets and summarizes long fields', () => {
    const line = auditInput({ vmid: 101, password: 'hunter2', tokenSecret: 'abc', sshKeys: ['ssh-ed25519 AAAA x'], manifest: 'x'.repeat(500) });
    assert.equal(line, 'vmid=101 password=(hidden) tokenSecret=(hidden) sshKeys=(1 items) manifest=(500 chars)');
  });

  describe('invoke', () => {
    const lines: Array<{ what: string; result: string; target?: string }> = [];
    const host: OperationHost = { activity: async (r) => void lines.push(r) };
    const op = (run: () => Promise<string>, effect: Operation['effect'] = 'sideEffect'): Operation<{ vmid: number }> => ({
      id: 'test_op', title: 'Test', description: 'A test operation.', area: 'proxmox', effect, inputSchema: schema,
      prepare: async (input) => {
        if (input.vmid === 666) throw new OperationRefused('not this one');
        return { confirmation: `Do it to ${input.vmid}?`, target: `guest ${input.vmid}`, run: async () => ({ text: await run() }) };
      },
    });
    beforeEach(() => void (lines.length = 0));

    it('runs after the caller confirms, and logs caller, input and outcome', async () => {
      const asked: string[] = [];
      const r = await invoke(op(async () => 'done'), { vmid: 101 }, host, { caller: 'MCP x', confirm: async (p) => (asked.push(p.confirmation!), true) });
      assert.deepEqual(r, { status: 'ok', result: { text: 'done' } });
      assert.deepEqual(asked, ['Do it to 101?']);
      assert.equal(lines.length, 1);
      assert.equal(lines[0].what, 'MCP x · test_op');
      assert.equal(lines[0].result, 'ok');
      assert.equal(lines[0].target, 'guest 101 · vmid=101 full=false');
    });

    it('a declined confirmation runs nothing; refusals, bad input and failures are logged and thrown', async () => {
      let ran = false;
      assert.deepEqual(await invoke(op(async () => { ran = true; return ''; }), { vmid: 101 }, host, { caller: 'c', confirm: async () => false }), { status: 'declined' });
      assert.equal(ran, false);
      await assert.rejects(invoke(op(async () => ''), { vmid: 666 }, host, { caller: 'c' }), OperationRefused);
      await assert.rejects(invoke(op(async () => ''), { vmid: 'x' }, host, { caller: 'c' }), InvalidInput);
      await assert.rejects(invoke(op(async () => { throw new Error('boom'); }), { vmid: 101 }, host, { caller: 'c' }), /boom/);
      assert.deepEqual(lines.map((l) => l.result), ['declined', 'refused: not this one', 'invalid input: vmid: must be an integer', 'failed: boom']);
    });

    it('read-only operations are not confirmed', async () => {
      let asked = false;
      await invoke(op(async () => 'x', 'readOnly'), { vmid: 101 }, host, { caller: 'c', confirm: async () => (asked = true) });
      assert.equal(asked, false);
    });
  });
});

describe('MCP config file', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseConfig, readSecret } = require('../../../src/mcp/config') as typeof import('../../../src/mcp/config');
  const base = { id: 'lab', url: 'https://pve1.lan:8006', fingerprint: 'AB:'.repeat(31) + 'AB', tokenId: 'root@pam!agent', secretEnv: 'PVE_LAB' };
  const parse = (o: object) => parseConfig(JSON.stringify(o), '/etc/homelab/mcp.json');

  it('reads clusters, resolves paths (relative to the file, ~ to home), and takes secrets from the environment', () => {
    const c = parse({ clusters: [base], kubeconfig: '~/.kube/config', journal: 'journal' });
    assert.equal(c.clusters[0].name, 'lab');
    assert.equal(c.journal, '/etc/homelab/journal');
    assert.match(c.kubeconfig[0], /\/\.kube\/config$/);
    assert.ok(!c.kubeconfig[0].startsWith('~'));
    assert.equal(readSecret(c.clusters[0], { PVE_LAB: ' s3cret\n' }), 's3cret');
    assert.throws(() => readSecret(c.clusters[0], {}), /PVE_LAB .* is not set/);
  });

  it('refuses secrets in the file, an unpinned cluster, bad ids and duplicates', () => {
    assert.throws(() => parse({ clusters: [{ ...base, secret: 'x' }] }), /secrets do not belong in the config file/);
    assert.throws(() => parse({ clusters: [{ ...base, fingerprint: undefined }] }), /neither "fingerprint" nor "caFile"/);
    assert.throws(() => parse({ clusters: [{ ...base, id: 'Lab 1' }] }), /clusters\[0\]\.id/);
    assert.throws(() => parse({ clusters: [base, base] }), /appears twice/);
    assert.throws(() => parse({ clusters: [{ ...base, secretEnv: undefined }] }), /needs "secretEnv" or "secretFile"/);
    assert.throws(() => parseConfig('{', 'x.json'), /not valid JSON/);
  });
});
