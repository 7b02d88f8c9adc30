import { strict as assert } from 'node:assert';
import { ClusterFileError, nodeInputs, parseClusterFile, withK3sSection, withoutK3sSection, type K3sSection } from '../../../src/providers/k3s/cluster-file';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): any } = require('js-yaml');

const DEPLOYED = `# Written by Homelab: the cluster lab and the VMs it is made of.
name: lab
tag: homelab-cluster-lab
proxmoxCluster: home
template:
  vmid: 9000
  name: nixos
sshUser: ops
createdAt: "2026-12-01T10:00:00.000Z"
nodes:
  - name: lab-cp-1
    vmid: 201
    proxmoxNode: pve1
    role: control-plane
    ip: 192.168.1.50
  - name: lab-worker-1
    vmid: 202
    proxmoxNode: pve2
    role: worker
    ip: 192.168.1.51
templateNode: pve1
# the user's own notes
extra:
  owner: me
`;

const SECTION: K3sSection = {
  channel: '1.31', version: 'v1.31.4+k3s1', apiUrl: 'https://192.168.1.50:6443', context: 'homelab-lab', storage: 'extension',
  kubeconfig: '/home/u/.config/Code/homelab/kubeconfigs/homelab-lab.yaml', keep: ['traefik', 'local-storage'],
  clusterCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16', bootstrappedAt: '2026-12-02T07:00:00.000Z',
};

describe('k3s: the cluster file (nodes in, k3s section out, unknown content kept)', () => {
  it('reads the nodes the deploy wrote, with addresses, VMs and roles', () => {
    const f = parseClusterFile(DEPLOYED, 'lab.yaml');
    assert.equal(f.name, 'lab');
    assert.equal(f.sshUser, 'ops');
    assert.deepEqual(f.nodes.map((n) => [n.name, n.role, n.ip, n.vmid, n.proxmoxNode]), [['lab-cp-1', 'control-plane', '192.168.1.50', 201, 'pve1'], ['lab-worker-1', 'worker', '192.168.1.51', 202, 'pve2']]);
    assert.deepEqual(nodeInputs(f).map((n) => n.address), ['192.168.1.50', '192.168.1.51']);
    assert.equal(f.k3s, undefined);
  });

  it('adds the k3s section (no kubeconfig contents), replaces it on the next bootstrap, keeps everything else', () => {
    const once = withK3sSection(DEPLOYED, SECTION);
    assert.ok(once.startsWith(DEPLOYED), 'the deploy\'s text and the user\'s lines are untouched');
    const doc = yaml.load(once);
    assert.equal(doc.k3s.version, 'v1.31.4+k3s1');
    assert.equal(doc.k3s.apiUrl, 'https://192.168.1.50:6443');
    assert.deepEqual(doc.extra, { owner: 'me' });
    const twice = withK3sSection(once, { ...SECTION, version: 'v1.32.1+k3s1', vip: '192.168.1.49' });
    assert.equal(twice.match(/^k3s:/gm)?.length, 1, 'one section');
    assert.equal(yaml.load(twice).k3s.version, 'v1.32.1+k3s1');
    assert.deepEqual(parseClusterFile(twice, 'x').k3s?.vip, '192.168.1.49');
    assert.equal(withoutK3sSection(twice), DEPLOYED);
  });

  it('keeps a section in the middle of the file from swallowing the keys after it', () => {
    const text = withK3sSection(DEPLOYED, SECTION) + 'later: 1\n';
    const without = withoutK3sSection(text);
    assert.equal(yaml.load(without).later, 1);
    assert.equal(yaml.load(without).k3s, undefined);
  });

  it('values that could break YAML are quoted, so they read back as written', () => {
    const odd = withK3sSection(DEPLOYED, { ...SECTION, kubeconfig: '/tmp/a: b #c\nevil: 1' });
    assert.equal(yaml.load(odd).k3s.kubeconfig, '/tmp/a: b #c\nevil: 1');
    assert.equal(yaml.load(odd).evil, undefined);
  });

  it('refuses a file without nodes, nodes without an address, and a file that is not YAML', () => {
    assert.throws(() => parseClusterFile('name: x\n', 'x.yaml'), ClusterFileError);
    assert.throws(() => parseClusterFile(': : :\n  - [', 'x.yaml'), /not valid YAML/);
    const f = parseClusterFile(DEPLOYED.replace('    ip: 192.168.1.51\n', '    ip: null\n'), 'lab.yaml');
    assert.throws(() => nodeInputs(f), /No address is known for lab-worker-1/);
  });
});
