import { strict as assert } from 'node:assert';
import type { ServerResponse } from 'node:http';
import { ProxmoxClient, ProxmoxError, pathSegment } from '../../../src/providers/proxmox';
import { apiPath, makeCerts, query, reply, startHttps, TOKEN_ID, TOKEN_SECRET, type FixtureServer, type Recorded } from './https-fixture';

describe('proxmox client API surface', () => {
  const certs = makeCerts();
  let server: FixtureServer;
  let handler: (r: Recorded, res: ServerResponse) => void = (_r, res) => reply(res, 200, null);
  let client: ProxmoxClient;

  before(async () => {
    server = await startHttps((r, res) => handler(r, res));
    client = new ProxmoxClient({ url: `${server.url}/api2/json/`, fingerprint: certs.serverFingerprint,
      auth: { kind: 'token', tokenId: TOKEN_ID, secret: TOKEN_SECRET } });
  });
  beforeEach(() => (server.requests.length = 0));
  after(async () => {
    await client.close();
    await server.close();
  });

  it('the typed proxy goes through our transport (path, method, body)', async () => {
    const upid = 'UPID:pve1:00001234:00005678:67400000:qmstart:100:root@pam!homelab:';
    handler = (_r, res) => reply(res, 200, upid);
    const got = await client.api.nodes.$('pve1').qemu.$(100).status.start.$post({ timeout: 30 });
    assert.equal(got, upid);
    const r = server.requests[0];
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/api2/json/nodes/pve1/qemu/100/status/start');
    assert.equal(r.body, 'timeout=30');
    assert.equal(r.headers.authorization, `PVEAPIToken=${TOKEN_ID}=${TOKEN_SECRET}`);
  });

  it('the typed proxy GET puts parameters in the query and returns data', async () => {
    handler = (_r, res) => reply(res, 200, [{ vmid: 100, name: 'web', status: 'running' }]);
    const list = await client.api.nodes.$('pve1').qemu.$get({ full: true });
    assert.equal(list[0].vmid, 100);
    assert.equal(server.requests[0].url, '/api2/json/nodes/pve1/qemu?full=1');
  });

  it('typed proxy errors are ProxmoxError too', async () => {
    handler = (_r, res) => reply(res, 403, null, 'Permission check failed (/vms/100, VM.PowerMgmt)');
    await assert.rejects(client.api.nodes.$('pve1').qemu.$(100).status.stop.$post(), (e: unknown) =>
      e instanceof ProxmoxError && e.kind === 'permission' && e.path === '/nodes/pve1/qemu/100/status/stop');
  });

  it('resources(type) is one GET /cluster/resources', async () => {
    const data = [{ id: 'qemu/100', type: 'qemu', vmid: 100, node: 'pve1', status: 'running', template: 0, tags: 'a;b' }];
    handler = (_r, res) => reply(res, 200, data);
    assert.deepEqual(await client.resources('vm'), data);
    assert.equal(server.requests.length, 1);
    assert.equal(apiPath(server.requests[0]), '/cluster/resources');
    assert.equal(query(server.requests[0]).get('type'), 'vm');
  });

  it('nextId parses the string PVE returns', async () => {
    handler = (_r, res) => reply(res, 200, '104');
    assert.equal(await client.nextId(), 104);
    assert.equal(apiPath(server.requests[0]), '/cluster/nextid');
  });

  it('nextId refuses something that is not an id', async () => {
    handler = (_r, res) => reply(res, 200, 'abc');
    await assert.rejects(client.nextId(), (e: unknown) => e instanceof ProxmoxError && e.kind === 'not-proxmox' && /not a VM ID/.test(e.message));
  });

  it('storageContent filters by content type', async () => {
    handler = (_r, res) => reply(res, 200, [{ volid: 'local:iso/nixos.iso', content: 'iso', format: 'iso', size: 1024, ctime: 1 }]);
    const items = await client.storageContent('pve1', 'local', 'iso');
    assert.equal(items[0].volid, 'local:iso/nixos.iso');
    assert.equal(server.requests[0].url, '/api2/json/nodes/pve1/storage/local/content?content=iso');
  });

  it('version and nodes', async () => {
    handler = (r, res) => reply(res, 200, apiPath(r) === '/version' ? { version: '9.1.3', release: '9.1', repoid: 'x' } : [{ node: 'pve1', status: 'online', ssl_fingerprint: certs.serverFingerprint }]);
    assert.equal((await client.version()).version, '9.1.3');
    assert.equal((await client.nodes())[0].ssl_fingerprint, certs.serverFingerprint);
  });

  it('the secret does not show when the client is logged', async () => {
    const { inspect } = await import('node:util');
    assert.ok(!inspect(client, { depth: 5 }).includes(TOKEN_SECRET));
    assert.ok(!JSON.stringify(client).includes(TOKEN_SECRET));
  });

  it('pathSegment keeps UPID characters and encodes the rest', () => {
    assert.equal(pathSegment('UPID:pve1:0000:root@pam!tok:'), 'UPID:pve1:0000:root@pam!tok:');
    assert.equal(pathSegment('local:iso/x y.iso'), 'local:iso%2Fx%20y.iso');
    assert.equal(pathSegment('a?b#c'), 'a%3Fb%23c');
  });
});
