// Tag rules and tag-style colours, backup names and restore parameters, cloud-init edits with
// sshkeys encoded as PVE expects, console framing.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  addTag, backupParams, checkTag, cloudInitParams, derivedTagColor, formatTags, inputFrame, InvalidInputError, jobCovers, nextBackupOf,
  parseBackupVolid, parseTags, parseTagStyle, readCloudInit, removeTag, resizeFrame, restoreParams, tagColor,
} from '../../../src/providers/proxmox';
import { encodeSshKeys } from '../../../src/providers/proxmox/cloud-init';

describe('tags (pve-tag-list)', () => {
  it('accepts PVE tags and refuses the rest with the reason', () => {
    for (const t of ['prod', 'k8s', '_x', '1a', 'a.b+c-d_e', 'UPPER']) assert.equal(checkTag(t), undefined, t);
    assert.match(checkTag('-x')!, /must start with a letter, a digit or "_"/);
    assert.match(checkTag('a b')!, /"space" is not allowed/);
    assert.match(checkTag('a;b')!, /";" is not allowed/);
    assert.match(checkTag('ä')!, /must start/);
    assert.match(checkTag('')!, /Enter a tag/);
  });

  it('agrees with the schema pattern on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 12 }), (s) => (checkTag(s) === undefined) === /^[a-z0-9_][a-z0-9_\-+.]*$/i.test(s)), { numRuns: 2000 });
  });

  it('parses ; , and space separators; formats unique, sorted, ;-joined', () => {
    assert.deepEqual(parseTags('b;a, c  d'), ['b', 'a', 'c', 'd']);
    assert.deepEqual(parseTags(undefined), []);
    assert.equal(formatTags(['web', 'Prod', 'prod', 'db']), 'db;Prod;web');
    assert.equal(formatTags(['web', 'Prod', 'prod'], { ordering: 'config', caseSensitive: true }), 'web;Prod;prod');
    assert.equal(addTag('db;web', 'lab'), 'db;lab;web');
    assert.equal(removeTag('db;Lab;web', 'lab'), 'db;web');
    assert.throws(() => addTag('db', 'bad tag'), (e: unknown) => e instanceof InvalidInputError && e.field === 'tags');
  });

  it('reads the cluster tag-style and colours tags from its map, else as the web UI derives them', () => {
    const style = parseTagStyle('color-map=prod:C62828:ffffff;lab:2e7d32;bad tag:000000,ordering=config,shape=full,case-sensitive=0');
    assert.equal(style.ordering, 'config');
    assert.equal(style.shape, 'full');
    assert.equal(style.colorMap.size, 2);
    assert.deepEqual(tagColor('prod', style), { bg: '#c62828', fg: '#ffffff', mapped: true });
    assert.deepEqual(tagColor('PROD', style), { bg: '#c62828', fg: '#ffffff', mapped: true });
    assert.equal(tagColor('lab', style).fg, '#ffffff', 'text colour by contrast when the map gives none');
    const d = tagColor('web', style);
    assert.equal(d.mapped, false);
    assert.deepEqual(d, { ...derivedTagColor('web'), mapped: false });
    assert.match(d.bg, /^#[0-9a-f]{6}$/);
    // Lightened towards white: every channel at least 0.3 * 255.
    for (const i of [1, 3, 5]) assert.ok(parseInt(d.bg.slice(i, i + 2), 16) >= 76);
    assert.equal(parseTagStyle(undefined).shape, 'circle');
    assert.equal(parseTagStyle('case-sensitive=1').caseSensitive, true);
  });
});

describe('backups', () => {
  it('parses vzdump volume names', () => {
    assert.deepEqual(parseBackupVolid('nfs:backup/vzdump-qemu-100-2025_01_31-02_00_05.vma.zst'),
      { storage: 'nfs', type: 'qemu', vmid: 100, time: Date.UTC(2025, 0, 31, 2, 0, 5) / 1000, compression: 'zstd' });
    assert.equal(parseBackupVolid('local:backup/vzdump-lxc-200-2024_12_01-00_00_00.tar.gz')?.compression, 'gzip');
    assert.equal(parseBackupVolid('local:backup/vzdump-lxc-200-2024_12_01-00_00_00.tar')?.compression, '0');
    assert.equal(parseBackupVolid('local:iso/debian.iso'), undefined);
  });

  it('builds vzdump parameters: zstd by default, notes template with literal \\n, validated', () => {
    const g = { node: 'pve1', type: 'qemu' as const, vmid: 100 };
    assert.deepEqual(backupParams(g, { storage: 'nfs', notesTemplate: '{{guestname}}\nweekly', protected: true }),
      { vmid: '100', storage: 'nfs', mode: 'snapshot', compress: 'zstd', 'notes-template': '{{guestname}}\\nweekly', protected: 1 });
    assert.throws(() => backupParams(g, { storage: '' }), /Choose a storage/);
    assert.throws(() => backupParams(g, { storage: 'nfs', mode: 'live' as never }), /Unknown backup mode/);
    assert.throws(() => backupParams(g, { storage: 'nfs', notesTemplate: 'x'.repeat(1025) }), /at most 1024/);
  });

  it('restores a VM backup with archive and a container backup with ostemplate+restore', () => {
    assert.deepEqual(restoreParams({ volid: 'nfs:backup/vzdump-qemu-100-2025_01_31-02_00_05.vma.zst' }, { vmid: 150, unique: true, start: true }),
      { type: 'qemu', params: { vmid: 150, archive: 'nfs:backup/vzdump-qemu-100-2025_01_31-02_00_05.vma.zst', unique: 1, start: 1 } });
    assert.deepEqual(restoreParams({ volid: 'local:backup/x.tar.zst', subtype: 'lxc' }, { vmid: 200, force: true, storage: 'local-lvm' }),
      { type: 'lxc', params: { vmid: 200, ostemplate: 'local:backup/x.tar.zst', restore: 1, force: 1, storage: 'local-lvm' } });
    assert.throws(() => restoreParams({ volid: 'local:iso/x.iso' }, { vmid: 150 }), /not a vzdump backup/);
    assert.throws(() => restoreParams({ volid: 'local:backup/x.tar.zst', subtype: 'lxc' }, { vmid: 42 }), /out of range/);
  });

  it('finds the jobs that cover a guest and its next run', () => {
    const jobs = [
      { id: 'a', all: 1 as const, enabled: 1 as const, 'next-run': 500 },
      { id: 'b', vmid: '100,101', enabled: 1 as const, 'next-run': 300 },
      { id: 'c', vmid: '100', enabled: 0 as const },
      { id: 'd', all: 1 as const, node: 'pve2', enabled: 1 as const, 'next-run': 100 },
    ];
    const r = nextBackupOf(jobs, { node: 'pve1', vmid: 100 });
    assert.deepEqual(r.jobs.map((j) => j.id), ['a', 'b', 'c']);
    assert.equal(r.nextRun, 300);
    assert.equal(jobCovers(jobs[3], { node: 'pve2', vmid: 7 }), true);
    assert.equal(nextBackupOf([jobs[2]], { node: 'pve1', vmid: 100 }).nextRun, undefined);
  });
});

describe('cloud-init edits', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk+/x= me@laptop (work)';

  it('encodes sshkeys with %20 for spaces and %-escapes for !\'()*, never +, newline-terminated', () => {
    const enc = encodeSshKeys([key, 'ssh-rsa AAAAB3Nza== x!y*z']);
    assert.equal(enc, 'ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIGk%2B%2Fx%3D%20me%40laptop%20%28work%29%0Assh-rsa%20AAAAB3Nza%3D%3D%20x%21y%2Az%0A');
    assert.ok(!/[+ ]/.test(enc));
    // PVE's check (the `urlencoded` format) accepts only unreserved characters and %XX.
    assert.match(enc, /^[-%a-zA-Z0-9_.~]*$/);
    // Any comment text on a real key line (sshkeys takes plain public key lines only).
    const keyLine = fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0 && !/[\r\n]/.test(s)).map((c) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk+/x= ${c.trim()}`);
    fc.assert(fc.property(fc.array(keyLine, { minLength: 1, maxLength: 3 }), (lines) => {
      const e = encodeSshKeys(lines);
      return /^[-%a-zA-Z0-9_.~]*$/.test(e) && decodeURIComponent(e) === lines.map((l) => l.trim()).join('\n') + '\n';
    }));
  });

  it('builds the PUT parameters, deleting what is emptied', () => {
    assert.deepEqual(cloudInitParams({ user: 'admin', sshKeys: [key], ipconfig0: { kind: 'static', cidr: '10.0.0.10/24', gateway: '10.0.0.1' }, nameserver: '1.1.1.1, 9.9.9.9', searchdomain: 'lab.example' }), {
      ciuser: 'admin', sshkeys: encodeSshKeys([key]), ipconfig0: 'ip=10.0.0.10/24,gw=10.0.0.1', nameserver: '1.1.1.1 9.9.9.9', searchdomain: 'lab.example',
    });
    assert.deepEqual(cloudInitParams({ user: '', sshKeys: [], nameserver: '', ipconfig0: { kind: 'dhcp' } }), { ipconfig0: 'ip=dhcp', delete: 'ciuser,sshkeys,nameserver' });
  });

  it('refuses bad input by field', () => {
    const field = (f: string) => (e: unknown) => e instanceof InvalidInputError && e.field === f;
    assert.throws(() => cloudInitParams({ user: 'root user' }), field('user'));
    assert.throws(() => cloudInitParams({ sshKeys: ['not a key'] }), field('sshKeys'));
    assert.throws(() => cloudInitParams({ ipconfig0: { kind: 'static', cidr: '10.0.0.10/24', gateway: '192.168.1.1' } }), field('ipconfig0'));
    assert.throws(() => cloudInitParams({ nameserver: 'dns.google' }), field('nameserver'));
    assert.throws(() => cloudInitParams({ searchdomain: 'bad_domain!' }), field('searchdomain'));
    assert.throws(() => cloudInitParams({}), /Nothing to change/);
  });

  it('reads the current settings back, keys decoded', () => {
    const r = readCloudInit({ ciuser: 'admin', sshkeys: encodeSshKeys([key]), ipconfig0: 'ip=dhcp', ide2: 'local-lvm:vm-100-cloudinit,media=cdrom' });
    assert.deepEqual(r.sshKeys, [key]);
    assert.equal(r.hasDrive, true);
    assert.equal(readCloudInit({}).hasDrive, false);
  });
});

describe('termproxy framing', () => {
  it('input frames carry the UTF-8 byte length; resize frames are whole numbers', () => {
    assert.equal(inputFrame('ls\r'), '0:3:ls\r');
    assert.equal(inputFrame('é€'), '0:5:é€');
    assert.equal(resizeFrame(120.7, 40), '1:120:40:');
    assert.equal(resizeFrame(0, -3), '1:1:1:');
    assert.throws(() => resizeFrame(NaN, 10), RangeError);
  });
});
