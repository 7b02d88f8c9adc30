// The cloud-init wizard sends only what the user changed, in the shape cloudInitParams checks.
import { strict as assert } from 'node:assert';
import { cloudInitParams } from '../../../src/providers/proxmox';
import { decodeSshKeys } from '../../../src/providers/proxmox/cloud-init';
import { editOf, parseIpconfig, splitKeys, type CloudInitCurrent, type CloudInitForm } from '../../../src/providers/proxmox/cloud-init-form';

const KEY1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOz4bJ0m8mVt0a0n1cV3m7WnY0mD2wQk1o4H1c6JvT2x me@laptop';
const KEY2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ops@desk';
const cur: CloudInitCurrent = { user: 'admin', sshKeys: [KEY1], ipconfig0: 'ip=10.0.0.5/24,gw=10.0.0.1', nameserver: '10.0.0.1', searchdomain: 'lab.example.org' };
const unchanged = (): CloudInitForm => ({ user: 'admin', keys: KEY1, net: 'keep', cidr: '10.0.0.5/24', gateway: '10.0.0.1', nameserver: '10.0.0.1', searchdomain: 'lab.example.org' });

describe('cloud-init wizard answers -> edit', () => {
  it('nothing changed: an empty edit (cloudInitParams would say "Nothing to change")', () => {
    assert.deepEqual(editOf(unchanged(), cur), {});
    assert.throws(() => cloudInitParams(editOf(unchanged(), cur)), /Nothing to change/);
  });

  it('re-typing the same static address, or keep, sends no ipconfig0', () => {
    assert.deepEqual(editOf({ ...unchanged(), net: 'static' }, cur), {});
  });

  it('a new user and a second key: only those, keys encoded as PVE expects', () => {
    const e = editOf({ ...unchanged(), user: ' ops ', keys: `${KEY1}; ${KEY2}` }, cur);
    assert.deepEqual(Object.keys(e).sort(), ['sshKeys', 'user']);
    const p = cloudInitParams(e);
    assert.equal(p.ciuser, 'ops');
    assert.deepEqual(decodeSshKeys(String(p.sshkeys)), [KEY1, KEY2]);
  });

  it('emptied user, keys and DNS become deletions', () => {
    const p = cloudInitParams(editOf({ ...unchanged(), user: '', keys: '', nameserver: '', searchdomain: ' ' }, cur));
    assert.deepEqual(String(p.delete).split(',').sort(), ['ciuser', 'nameserver', 'searchdomain', 'sshkeys']);
  });

  it('DHCP and a new static address with gateway', () => {
    assert.deepEqual(cloudInitParams(editOf({ ...unchanged(), net: 'dhcp' }, cur)), { ipconfig0: 'ip=dhcp' });
    assert.deepEqual(cloudInitParams(editOf({ ...unchanged(), net: 'static', cidr: '10.0.0.9/24', gateway: '10.0.0.254' }, cur)), { ipconfig0: 'ip=10.0.0.9/24,gw=10.0.0.254' });
    assert.deepEqual(editOf({ ...unchanged(), net: 'dhcp' }, { ...cur, ipconfig0: 'ip=dhcp' }), {}, 'already DHCP');
  });

  it('bad answers are refused by cloudInitParams with a reason', () => {
    assert.throws(() => cloudInitParams(editOf({ ...unchanged(), user: '9lives' }, cur)), /not a valid Linux user name/);
    assert.throws(() => cloudInitParams(editOf({ ...unchanged(), keys: 'not a key' }, cur)), /not an SSH public key/);
    assert.throws(() => cloudInitParams(editOf({ ...unchanged(), net: 'static', cidr: '10.0.0.9/24', gateway: '192.168.1.1' }, cur)));
    assert.throws(() => cloudInitParams(editOf({ ...unchanged(), nameserver: 'dns.google' }, cur)), /not an IP address/);
  });

  it('parses ipconfig0 and splits keys on ";"', () => {
    assert.deepEqual(parseIpconfig('ip=10.0.0.5/24,gw=10.0.0.1'), { ip: '10.0.0.5/24', gw: '10.0.0.1' });
    assert.deepEqual(parseIpconfig('ip=dhcp'), { ip: 'dhcp' });
    assert.deepEqual(parseIpconfig(''), {});
    assert.deepEqual(splitKeys(` ${KEY1} ;; ${KEY2};`), [KEY1, KEY2]);
  });
});
