import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkDnsLabel, checkGateway, checkVmid, decodeSshKeys, encodeSshKeys, ipconfigValue, parseCidr } from '../../../src/providers/proxmox/cloud-init';
import { encodeParams } from '../../../src/providers/proxmox/transport';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb3x5v1 me@laptop';

describe('cloud-init inputs', () => {
  it('accepts DNS labels and names what is wrong with others', () => {
    for (const ok of ['web-1', 'a', 'K8S-node-03', 'x'.repeat(63)]) assert.equal(checkDnsLabel(ok), undefined, ok);
    assert.match(checkDnsLabel('')!, /Enter a name/);
    assert.match(checkDnsLabel('web_1')!, /"_" is not allowed/);
    assert.match(checkDnsLabel('web 1')!, /"space" is not allowed/);
    assert.match(checkDnsLabel('web.lan')!, /"\." is not allowed/);
    assert.match(checkDnsLabel('-web')!, /start or end/);
    assert.match(checkDnsLabel('web-')!, /start or end/);
    assert.match(checkDnsLabel('x'.repeat(64))!, /at most 63/);
  });

  it('checks the VM ID range 100..999999999', () => {
    assert.equal(checkVmid('100'), undefined);
    assert.equal(checkVmid('999999999'), undefined);
    assert.match(checkVmid('99')!, /out of range/);
    assert.match(checkVmid('1000000000')!, /out of range/);
    assert.match(checkVmid('1e3')!, /whole number/);
    assert.match(checkVmid('-5')!, /whole number/);
  });

  it('requires a prefix on a CIDR and refuses network/broadcast addresses', () => {
    assert.deepEqual(parseCidr('10.0.0.10/24'), { address: '10.0.0.10', prefix: 24 });
    assert.match(parseCidr('10.0.0.10') as string, /no prefix length/);
    assert.match(parseCidr('10.0.0.0/24') as string, /network address/);
    assert.match(parseCidr('10.0.0.255/24') as string, /broadcast/);
    assert.match(parseCidr('10.0.0.300/24') as string, /not an IPv4/);
    assert.match(parseCidr('10.0.0.5/33') as string, /not a valid prefix/);
    assert.deepEqual(parseCidr('10.0.0.5/32'), { address: '10.0.0.5', prefix: 32 });
  });

  it('refuses a gateway outside the subnet or equal to the address', () => {
    const c = parseCidr('192.168.1.50/24') as { address: string; prefix: number };
    assert.equal(checkGateway(c, '192.168.1.1'), undefined);
    assert.match(checkGateway(c, '192.168.2.1')!, /outside the subnet/);
    assert.match(checkGateway(c, '192.168.1.50')!, /own address/);
    assert.match(checkGateway(c, 'router')!, /not an IPv4/);
    assert.equal(ipconfigValue({ kind: 'static', cidr: '192.168.1.50/24', gateway: '192.168.1.1' }), 'ip=192.168.1.50/24,gw=192.168.1.1');
    assert.equal(ipconfigValue({ kind: 'dhcp' }), 'ip=dhcp');
    assert.throws(() => ipconfigValue({ kind: 'static', cidr: '192.168.1.50', gateway: '192.168.1.1' }), /no prefix/);
  });

  it('a gateway is inside the subnet exactly when the masked addresses match (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 8, max: 30 }), fc.nat(0xffffffff), fc.nat(0xffffffff), (prefix, a, b) => {
      const ip = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
      const cidr = parseCidr(`${ip(a)}/${prefix}`);
      if (typeof cidr === 'string' || ip(a) === ip(b)) return;
      const mask = (0xffffffff << (32 - prefix)) >>> 0;
      const same = ((a & mask) >>> 0) === ((b & mask) >>> 0);
      assert.equal(checkGateway(cidr, ip(b)) === undefined, same);
    }));
  });

  it('encodes sshkeys with %20 (never +), and the form encoding encodes it again', () => {
    const v = encodeSshKeys([KEY, '  ', 'ssh-rsa AAAAB3Nza other']);
    assert.doesNotMatch(v, /[ +]/);
    assert.match(v, /^ssh-ed25519%20AAAAC3/);
    assert.match(v, /%0Assh-rsa%20/);
    assert.deepEqual(decodeSshKeys(v), [KEY, 'ssh-rsa AAAAB3Nza other']);
    const form = encodeParams({ sshkeys: v });
    assert.match(form, /^sshkeys=ssh-ed25519%2520AAAA/, 'sent double-encoded');
    assert.match(v, /^[-%a-zA-Z0-9_.~]*$/, 'only unreserved characters and escapes');
  });

  it('refuses an empty key list', () => {
    assert.throws(() => encodeSshKeys([]), /No SSH public key/);
    assert.throws(() => encodeSshKeys(['', ' ']), /No SSH public key/);
  });
});
