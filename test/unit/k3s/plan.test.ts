import { strict as assert } from 'node:assert';
import { K3sPlanError, planK3s, type K3sPlanInput } from '../../../src/providers/k3s';
import { nodesOf } from './helpers';

const input = (over: Partial<K3sPlanInput> = {}): K3sPlanInput => ({
  cluster: 'lab', channel: '1.31', keep: ['local-storage'], api: { kind: 'first-control-plane' }, nodes: nodesOf(1, 2), ...over,
});

function problems(over: Partial<K3sPlanInput>): string[] {
  try {
    planK3s(input(over));
  } catch (e) {
    assert.ok(e instanceof K3sPlanError, String(e));
    return e.problems;
  }
  assert.fail('the plan was accepted');
}

describe('k3s: plan', () => {
  it('1+2: one server without clusterInit (sqlite), agents join the first control plane', () => {
    const p = planK3s(input());
    assert.equal(p.contextName, 'homelab-lab');
    assert.equal(p.apiUrl, 'https://10.0.0.20:6443');
    assert.deepEqual(p.disable, ['traefik', 'servicelb']);
    assert.deepEqual(p.tlsSans, ['10.0.0.20']);
    assert.deepEqual(p.nodes.map((n) => [n.name, n.k3sRole, n.clusterInit, n.serverAddr]), [
      ['lab-cp-1', 'server', false, ''],
      ['lab-worker-1', 'agent', false, 'https://10.0.0.20:6443'],
      ['lab-worker-2', 'agent', false, 'https://10.0.0.20:6443'],
    ]);
  });

  it('3+5 with a VIP: clusterInit on the first server only, the others join it; SANs are every control plane and the VIP', () => {
    const p = planK3s(input({ nodes: nodesOf(3, 5), api: { kind: 'vip', address: '10.0.0.10' }, keep: ['traefik', 'servicelb', 'local-storage'] }));
    assert.equal(p.apiUrl, 'https://10.0.0.10:6443');
    assert.deepEqual(p.tlsSans, ['10.0.0.20', '10.0.0.21', '10.0.0.22', '10.0.0.10']);
    assert.deepEqual(p.disable, []);
    const cps = p.nodes.filter((n) => n.role === 'control-plane');
    assert.deepEqual(cps.map((n) => n.clusterInit), [true, false, false]);
    assert.deepEqual(cps.map((n) => n.serverAddr), ['', 'https://10.0.0.20:6443', 'https://10.0.0.20:6443']);
    assert.equal(p.nodes.filter((n) => n.k3sRole === 'agent').length, 5);
  });

  it('control planes come first whatever the input order; ports carry through', () => {
    const nodes = [...nodesOf(1, 1)].reverse().map((n, i) => ({ ...n, sshPort: 2200 + i }));
    const p = planK3s(input({ nodes, apiPort: 7443 }));
    assert.deepEqual(p.nodes.map((n) => [n.name, n.sshPort]), [['lab-cp-1', 2201], ['lab-worker-1', 2200]]);
    assert.equal(p.nodes[1].serverAddr, 'https://10.0.0.20:7443');
  });

  it('refuses 2 control planes, bad names, duplicate or missing addresses, and a newline in a name', () => {
    assert.ok(problems({ nodes: nodesOf(2, 1) }).some((m) => /1 or 3 control planes/.test(m)));
    assert.ok(problems({ cluster: 'Lab' }).some((m) => /capital/.test(m)));
    assert.ok(problems({ nodes: [{ name: 'a"b', role: 'control-plane', address: '10.0.0.1' }] }).some((m) => /not allowed/.test(m)));
    assert.ok(problems({ nodes: [{ name: 'cp\nx', role: 'control-plane', address: '10.0.0.1' }] }).some((m) => /not allowed/.test(m)));
    assert.ok(problems({ nodes: [...nodesOf(1, 0), { name: 'w', role: 'worker', address: '10.0.0.20' }] }).some((m) => /given to two nodes/.test(m)));
    assert.ok(problems({ nodes: [{ name: 'cp', role: 'control-plane', address: '' }] }).some((m) => /not an IPv4 address/.test(m)));
    assert.ok(problems({ nodes: [{ name: 'cp', role: 'control-plane', address: '10.0.0.1"; rm -rf /' }] }).some((m) => /not an IPv4 address/.test(m)));
    assert.ok(problems({ nodes: [...nodesOf(1, 0), { ...nodesOf(1, 0)[0], address: '10.0.0.99' }] }).some((m) => /appears twice/.test(m)));
  });

  it('refuses an unknown channel or add-on, bad or overlapping CIDRs, CIDRs holding a node, a VIP on a node', () => {
    assert.ok(problems({ channel: '1.99' }).some((m) => /channel/.test(m)));
    assert.ok(problems({ keep: ['traefik', 'istio'] }).some((m) => /Unknown add-on "istio"/.test(m)));
    assert.ok(problems({ clusterCidr: '10.42.0.1/16' }).some((m) => /host bits/.test(m)));
    assert.ok(problems({ serviceCidr: 'ten/8' }).some((m) => /not an IPv4 network/.test(m)));
    assert.ok(problems({ clusterCidr: '10.40.0.0/14', serviceCidr: '10.43.0.0/16' }).some((m) => /overlap/.test(m)));
    assert.ok(problems({ clusterCidr: '10.0.0.0/16', serviceCidr: '10.43.0.0/16' }).some((m) => /10\.0\.0\.20 lies inside 10\.0\.0\.0\/16/.test(m)));
    assert.ok(problems({ api: { kind: 'vip', address: '10.0.0.20' } }).some((m) => /address of a node/.test(m)));
    assert.ok(problems({ api: { kind: 'vip', address: '10.0.0.300' } }).some((m) => /Virtual IP/.test(m)));
    assert.ok(problems({ apiPort: 70000 }).some((m) => /TCP port/.test(m)));
  });
});
