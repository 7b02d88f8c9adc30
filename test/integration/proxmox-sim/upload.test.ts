import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile, open } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { authHeaders, call, get, startTask, waitTask, type Resp } from './helpers';

interface UploadOpts {
  fields?: Array<[string, string]>;
  /** Fields sent AFTER the file part (pveproxy ignores them). */
  after?: Array<[string, string]>;
  filename: string;
  file: string;
  chunked?: boolean;
  cred?: 'admin' | 'audit';
}

/** Streams a multipart upload from a file on disk, computing Content-Length without buffering. */
async function upload(sim: Simulator, node: string, storage: string, o: UploadOpts): Promise<Resp> {
  const boundary = `----sim${randomBytes(8).toString('hex')}`;
  const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    (o.fields ?? []).map(([k, v]) => part(k, v)).join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="filename"; filename="${o.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n${(o.after ?? []).map(([k, v]) => part(k, v)).join('')}--${boundary}--\r\n`);
  const size = (await stat(o.file)).size;
  const headers: Record<string, string | number> = {
    ...(authHeaders(sim, o.cred ?? 'admin') as Record<string, string>),
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
  };
  if (!o.chunked) headers['Content-Length'] = head.length + size + tail.length;
  const url = new URL(`/api2/json/nodes/${node}/storage/${storage}/upload`, sim.url);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers, ca: sim.certPem, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, reason: res.statusMessage!, headers: res.headers, text, json: text ? JSON.parse(text) : undefined, ms: Date.now() - t0 });
      });
    });
    req.on('error', reject);
    req.write(head);
    const send = () => {
      if (answered) return;
      const rs = createReadStream(o.file);
      rs.on('error', reject);
      rs.on('end', () => req.end(tail));
      rs.pipe(req, { end: false });
    };
    // A chunked upload is refused on its headers (as pveproxy does) and the connection closed: the
    // body is sent only if no answer came, or a write racing the close fails with EPIPE (and a
    // server that wrongly accepts it still gets the whole body, so the test fails on the status).
    if (o.chunked) setTimeout(send, 500);
    else send();
  });
}

describe('proxmox-sim: ISO upload (streamed multipart) and storage content', () => {
  let sim: Simulator;
  let dir: string;
  let big: string;
  let bigSha: string;
  let small: string;
  const BIG = 50 * 1024 * 1024;

  before(async () => {
    sim = await startSimulator({ guests: 4, seed: 29, taskDurationMs: 100, authFailDelayMs: 0 });
    dir = await mkdtemp(join(tmpdir(), 'pve-sim-upload-test-'));
    big = join(dir, 'big.iso');
    const fh = await open(big, 'w');
    const h = createHash('sha256');
    const block = randomBytes(1024 * 1024);
    for (let i = 0; i < BIG / block.length; i++) {
      block[0] = i; // every MiB differs, so a misplaced chunk changes the hash
      h.update(block);
      await fh.write(block);
    }
    await fh.close();
    bigSha = h.digest('hex');
    small = join(dir, 'small.iso');
    await writeFile(small, Buffer.from('hello iso\r\n--not-a-boundary\r\n'));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams a 50 MB ISO to disk, verifies the sha256 and lists it', async function () {
    this.timeout(60000);
    let peak = 0;
    const base = process.memoryUsage().arrayBuffers;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)), 5);
    const r = await upload(sim, 'pve1', 'local', { fields: [['content', 'iso'], ['checksum-algorithm', 'sha256'], ['checksum', bigSha]], filename: 'big.iso', file: big });
    clearInterval(timer);
    assert.equal(r.status, 200, `${r.status} ${r.reason} ${r.text}`);
    assert.match(r.json.data, /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:imgcopy::root@pam!homelab:$/);
    const done = await waitTask(sim, r.json.data);
    assert.equal(done.exitstatus, 'OK', done.log.join('\n'));
    assert.ok(done.log.includes('OK, checksum verified'));
    const vol = sim.state.volumes.find((v) => v.volid === 'local:iso/big.iso' && v.node === 'pve1')!;
    assert.equal(vol.size, BIG);
    assert.equal((await stat(vol.file!)).size, BIG, 'the file on disk has every byte');
    const list = await get(sim, '/nodes/pve1/storage/local/content?content=iso');
    const item = list.find((x: any) => x.volid === 'local:iso/big.iso');
    assert.equal(item.size, BIG);
    assert.equal(item.format, 'iso');
    assert.equal(typeof item.ctime, 'number');
    // Local storage: the file is not visible on another node.
    assert.ok(!(await get(sim, '/nodes/pve2/storage/local/content?content=iso')).some((x: any) => x.volid === 'local:iso/big.iso'));
    // Not buffered: the simulator and this client share the process, 50 MB in memory would show.
    assert.ok(peak < 40 * 1024 * 1024, `arrayBuffers grew by ${Math.round(peak / 2 ** 20)} MiB`);
  });

  it('fails the imgcopy task on a wrong checksum and stores nothing', async () => {
    const r = await upload(sim, 'pve1', 'local', { fields: [['content', 'iso'], ['checksum-algorithm', 'sha256'], ['checksum', 'ab'.repeat(32)]], filename: 'bad.iso', file: small });
    assert.equal(r.status, 200);
    const done = await waitTask(sim, r.json.data);
    assert.match(done.exitstatus!, /^checksum mismatch: got '[0-9a-f]{64}' != expect 'abab/);
    assert.ok(!sim.state.volumes.some((v) => v.volid === 'local:iso/bad.iso'));
  });

  it('keeps the body intact when the file contains boundary-like bytes (md5)', async () => {
    const md5 = createHash('md5').update(Buffer.from('hello iso\r\n--not-a-boundary\r\n')).digest('hex');
    const r = await upload(sim, 'pve2', 'nfs', { fields: [['content', 'iso'], ['checksum-algorithm', 'md5'], ['checksum', md5]], filename: 'small.iso', file: small });
    assert.equal((await waitTask(sim, r.json.data)).exitstatus, 'OK');
    // nfs is shared: visible from every node.
    assert.ok((await get(sim, '/nodes/pve3/storage/nfs/content?content=iso')).some((x: any) => x.volid === 'nfs:iso/small.iso'));
  });

  it('refuses an upload without Content-Length', async () => {
    const r = await upload(sim, 'pve1', 'local', { fields: [['content', 'iso']], filename: 'c.iso', file: small, chunked: true });
    assert.equal(r.status, 501);
    assert.match(r.reason, /content length/i);
  });

  it('refuses a bad extension with 400 wrong file extension', async () => {
    const r = await upload(sim, 'pve1', 'local', { fields: [['content', 'iso']], filename: 'evil.exe', file: small });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.errors, { filename: 'wrong file extension' });
    const ok = await upload(sim, 'pve1', 'local', { fields: [['content', 'iso']], filename: 'disk.img', file: small });
    assert.equal(ok.status, 200);
    await waitTask(sim, ok.json.data);
  });

  it('refuses an upload whose file part is not last (fields after it are not read)', async () => {
    const r = await upload(sim, 'pve1', 'local', { after: [['content', 'iso']], filename: 'late.iso', file: small });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.errors, { content: 'property is missing and it is not optional' });
  });

  it('refuses content the storage does not hold, unknown fields, and the audit token', async () => {
    const r = await upload(sim, 'pve1', 'local-lvm', { fields: [['content', 'iso']], filename: 'x.iso', file: small });
    assert.equal(r.status, 500);
    assert.match(r.reason, /does not support 'iso' content/);
    const u = await upload(sim, 'pve1', 'local', { fields: [['content', 'iso'], ['colour', 'red']], filename: 'x.iso', file: small });
    assert.equal(u.status, 400);
    assert.match(u.json.errors.colour, /not defined in schema/);
    const a = await upload(sim, 'pve1', 'local', { fields: [['content', 'iso']], filename: 'x.iso', file: small, cred: 'audit' });
    assert.equal(a.status, 403);
    assert.equal(a.reason, 'Permission check failed (/storage/local, Datastore.AllocateTemplate)');
  });

  it('deletes a content volume (task), then the volume is gone; unknown volume -> 500', async () => {
    const volid = 'local:iso/debian-12.7.0-amd64-netinst.iso';
    const upid = await startTask(sim, 'DELETE', `/nodes/pve1/storage/local/content/${encodeURIComponent(volid)}`);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.ok(!(await get(sim, '/nodes/pve1/storage/local/content')).some((x: any) => x.volid === volid));
    assert.ok((await get(sim, '/nodes/pve2/storage/local/content')).some((x: any) => x.volid === volid), 'other node keeps its copy');
    const r = await call(sim, 'DELETE', `/nodes/pve1/storage/local/content/${encodeURIComponent(volid)}`);
    assert.equal(r.status, 500);
    assert.equal(r.reason, `volume '${volid}' does not exist`);
  });

  it('lists storages of a node with content filter', async () => {
    const all = await get(sim, '/nodes/pve1/storage');
    assert.deepEqual(all.map((s: any) => s.storage).sort(), ['local', 'local-lvm', 'nfs']);
    const iso = await get(sim, '/nodes/pve1/storage?content=iso');
    assert.deepEqual(iso.map((s: any) => s.storage).sort(), ['local', 'nfs']);
    const images = await get(sim, '/nodes/pve1/storage/local-lvm/content?content=images');
    assert.ok(images.every((i: any) => i.content === 'images' && typeof i.vmid === 'number'));
  });
});

describe('proxmox-sim: download-url (simulated, no network)', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ guests: 2, seed: 37, taskDurationMs: 60, authFailDelayMs: 0 });
  });
  after(() => sim.close());

  it('downloads into the storage as a "download" task and verifies the checksum', async () => {
    const url = 'https://releases.example.org/nixos-25.05.iso';
    const sha = createHash('sha256').update(url).digest('hex');
    const upid = await startTask(sim, 'POST', '/nodes/pve1/storage/local/download-url', { url, content: 'iso', filename: 'nixos.iso', 'checksum-algorithm': 'sha256', checksum: sha });
    assert.match(upid, /:download:nixos\.iso:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.ok((await get(sim, '/nodes/pve1/storage/local/content?content=iso')).some((x: any) => x.volid === 'local:iso/nixos.iso'));
    const bad = await startTask(sim, 'POST', '/nodes/pve1/storage/local/download-url', { url, content: 'iso', filename: 'n2.iso', 'checksum-algorithm': 'sha256', checksum: '0'.repeat(64) });
    assert.match((await waitTask(sim, bad)).exitstatus!, /^checksum mismatch/);
  });

  it('fails an unreachable host inside the task and refuses bad input synchronously', async () => {
    const upid = await startTask(sim, 'POST', '/nodes/pve1/storage/local/download-url', { url: 'https://mirror.invalid/x.iso', content: 'iso', filename: 'x.iso' });
    assert.match((await waitTask(sim, upid)).exitstatus!, /download failed/);
    const ext = await call(sim, 'POST', '/nodes/pve1/storage/local/download-url', { form: { url: 'https://a.example/x.exe', content: 'iso', filename: 'x.exe' } });
    assert.deepEqual(ext.json.errors, { filename: 'wrong file extension' });
    const u = await call(sim, 'POST', '/nodes/pve1/storage/local/download-url', { form: { url: 'file:///etc/passwd', content: 'iso', filename: 'p.iso' } });
    assert.deepEqual(u.json.errors, { url: 'value does not match the regex pattern' }, 'schema pattern');
    const a = await call(sim, 'POST', '/nodes/pve1/storage/local/download-url', { cred: 'audit', form: { url: 'https://a.example/x.iso', content: 'iso', filename: 'x.iso' } });
    assert.equal(a.reason, 'Permission check failed (/storage/local, Datastore.AllocateTemplate)');
  });
});
