import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkNfsExport, nfsStorageClass } from '../../../src/providers/k3s/nfs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { loadAll(s: string): any[] } = require('js-yaml');
const DIR = resolve(__dirname, '../../../resources/k8s/storage');

describe('k3s: NFS storage (pinned driver manifests, the StorageClass nfs)', () => {
  const docs = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort().flatMap((f) => yaml.loadAll(readFileSync(join(DIR, f), 'utf8')).filter(Boolean).map((d) => ({ f, d })));

  it('pins every image to a fixed version tag, the same tags the README lists', () => {
    const images = docs.flatMap(({ d }) => (d.spec?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image));
    assert.ok(images.length >= 5, images.join(', '));
    for (const i of images) assert.match(i, /^registry\.k8s\.io\/sig-storage\/[a-z-]+:v\d+\.\d+\.\d+$/, i);
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const i of new Set(images)) {
      const [name, tag] = i.split(':');
      assert.ok(readme.includes(`| ${name} | ${tag} |`), `${i} in README`);
    }
  });

  it('is the driver nfs.csi.k8s.io with its controller, node plugin and permissions, in kube-system', () => {
    const kinds = docs.map(({ d }) => `${d.kind}/${d.metadata.name}`);
    for (const k of ['CSIDriver/nfs.csi.k8s.io', 'Deployment/csi-nfs-controller', 'DaemonSet/csi-nfs-node', 'ServiceAccount/csi-nfs-controller-sa', 'ClusterRoleBinding/homelab-nfs-provisioner']) assert.ok(kinds.includes(k), k);
    for (const { d } of docs) if (!['CSIDriver', 'ClusterRole', 'ClusterRoleBinding'].includes(d.kind)) assert.equal(d.metadata.namespace, 'kube-system', `${d.kind}/${d.metadata.name}`);
    const sa = docs.find(({ d }) => d.kind === 'Deployment')!.d.spec.template.spec.serviceAccountName;
    assert.equal(sa, 'csi-nfs-controller-sa');
  });

  it('the StorageClass nfs points at the template\'s export; bad settings are refused', () => {
    const sc = nfsStorageClass('192.168.1.5', '/srv/k8s');
    assert.equal(sc.metadata.name, 'nfs');
    assert.equal(sc.provisioner, 'nfs.csi.k8s.io');
    assert.deepEqual(sc.parameters, { server: '192.168.1.5', share: '/srv/k8s' });
    assert.match(checkNfsExport('', '/x') ?? '', /no NFS settings/);
    assert.match(checkNfsExport('nas; rm -rf /', '/x') ?? '', /not a host name/);
    assert.match(checkNfsExport('nas', 'srv') ?? '', /not a plain absolute path/);
    assert.match(checkNfsExport('nas', '/srv/../etc') ?? '', /not a plain absolute path/);
    assert.throws(() => nfsStorageClass('nas', 'x'));
  });
});
