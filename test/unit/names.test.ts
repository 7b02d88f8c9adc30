import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { uploadIso, UploadError } from '../../src/providers/proxmox/upload';
import { entryFileName } from '../../src/providers/markdown/template';
import { assertName, checkName, joinInside, UnsafeNameError, type NameKind } from '../../src/providers/names';

describe('names from the lab (one check)', () => {
  const bad: Array<[NameKind, string]> = [
    ['cluster', '..'], ['cluster', '.'], ['cluster', ''], ['cluster', 'a/b'], ['cluster', 'a\\b'], ['cluster', 'Lab'],
    ['cluster', '-lab'], ['cluster', 'lab\n'], ['cluster', 'a'.repeat(51)], ['cluster', 'lab\0'],
    ['iso', '../x.iso'], ['iso', 'x.iso/..'], ['iso', '.hidden.iso'], ['iso', 'a;rm.iso'], ['iso', 'a"b.iso'], ['iso', 'x.txt'], ['iso', 'a..iso'],
    ['entry', '../README.md'], ['entry', 'x.md\r'], ['entry', '..md'],
    ['backup', '..'], ['backup', 'x/y'], ['backup', '.kube'],
  ];
  for (const [kind, name] of bad) {
    it(`refuses the ${kind} name ${JSON.stringify(name)} with a reason`, () => {
      const why = checkName(kind, name);
      assert.ok(why, 'accepted');
      assert.throws(() => assertName(kind, name), (e: unknown) => e instanceof UnsafeNameError && e.message === why);
    });
  }
  const good: Array<[NameKind, string]> = [
    ['cluster', 'lab'], ['cluster', 'k3s-01'], ['iso', 'homelab-nixos-20261202-0412.iso'], ['iso', 'debian-12.5.0-amd64-netinst.iso'],
    ['entry', '2026-12-02-phase-3.md'], ['backup', 'config.homelab-backup'],
  ];
  for (const [kind, name] of good) it(`accepts the ${kind} name ${name}`, () => assert.equal(checkName(kind, name), undefined));

  it('joinInside keeps paths inside their folder', () => {
    assert.equal(joinInside('/ws/homelab/clusters', ['lab.yaml']), '/ws/homelab/clusters/lab.yaml');
    assert.equal(joinInside('/ws/homelab/clusters', ['lab', 'inventory.ini']), '/ws/homelab/clusters/lab/inventory.ini');
    for (const seg of [['..'], ['.'], [''], ['lab', '..', '..'], ['/etc/passwd'], ['../clusters2/x']]) {
      assert.throws(() => joinInside('/ws/homelab/clusters', seg), UnsafeNameError, JSON.stringify(seg));
    }
    assert.equal(joinInside('/ws/j', ['a.md'], path.posix), '/ws/j/a.md');
    assert.throws(() => joinInside('C:\\ws', ['..\\x'], path.win32), UnsafeNameError);
  });
});

describe('names are checked where they enter', () => {
  it('an ISO upload with a path in its name is refused before anything is sent', async () => {
    let calls = 0;
    const client = new Proxy({}, { get: () => () => { calls++; throw new Error('must not be called'); } });
    for (const filename of ['../../etc/x.iso', 'a\\b.iso', 'a";x.iso', '.iso']) {
      await assert.rejects(uploadIso(client as never, { node: 'pve1', storage: 'local', filePath: '/nonexistent/x.iso', filename }),
        (e: unknown) => e instanceof UploadError && e.kind === 'bad-file' && /ISO file name/.test(e.message), filename);
    }
    assert.equal(calls, 0);
  });

  it('journal entry file names are single safe segments whatever the title', async () => {
    for (const title of ['../../etc/passwd', '..', 'a/b\\c', '\u0000x', 'Phase 3: K8s']) {
      const name = entryFileName({ date: '2026-12-02', title });
      assert.equal(checkName('entry', name), undefined, name);
    }
  });
});
