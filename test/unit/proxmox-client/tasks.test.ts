import { strict as assert } from 'node:assert';
import { ProxmoxClient, ProxmoxError, followTask, parseUpid } from '../../../src/providers/proxmox';
import { apiPath, makeCerts, query, reply, startHttps, TOKEN_ID, TOKEN_SECRET, type FixtureServer } from './https-fixture';

describe('proxmox tasks', () => {
  describe('parseUpid', () => {
    it('parses a UPID with a token user', () => {
      const u = parseUpid('UPID:pve-2:0001A2B3:00C0FFEE:6740ABCD:qmclone:9000:root@pam!homelab:');
      assert.deepEqual(u, {
        upid: 'UPID:pve-2:0001A2B3:00C0FFEE:6740ABCD:qmclone:9000:root@pam!homelab:',
        node: 'pve-2', pid: 0x1a2b3, pstart: 0xc0ffee, starttime: 0x6740abcd, type: 'qmclone', id: '9000', user: 'root@pam!homelab',
      });
    });

    it('accepts an empty id and a 9-digit pstart', () => {
      const u = parseUpid('UPID:pve1:00001234:123456789:6740ABCD:aptupdate::root@pam:');
      assert.equal(u.id, '');
      assert.equal(u.pstart, 0x123456789);
    });

    const bad = [
      '', 'hello', 'UPID:pve1:00001234:00005678:6740ABCD:qmstart:100:root@pam', // no trailing colon
      'UPID:pve1:1234:00005678:6740ABCD:qmstart:100:root@pam:', // short pid
      'UPID:pve1:0000123G:00005678:6740ABCD:qmstart:100:root@pam:', // not hex
      'UPID::00001234:00005678:6740ABCD:qmstart:100:root@pam:', // no node
      'UPID:pve1:00001234:00005678:6740ABCD:qmstart:100::', // no user
      'upid:pve1:00001234:00005678:6740ABCD:qmstart:100:root@pam:',
    ];
    for (const b of bad) {
      it(`refuses ${JSON.stringify(b)}`, () => {
        assert.throws(() => parseUpid(b), /is not a Proxmox task id/);
      });
    }
  });

  describe('followTask', () => {
    const certs = makeCerts();
    let server: FixtureServer;
    let client: ProxmoxClient;
    // The fake task: `step` runs on every status poll and may append lines or stop it.
    interface FakeTask { lines: string[]; status: 'running' | 'stopped'; exitstatus?: string; polls: number; bad: number;
      step: (t: FakeTask) => void; deleted: boolean }
    let task: FakeTask;
    const newTask = (step: FakeTask['step'], bad = 0): FakeTask =>
      (task = { lines: [], status: 'running', polls: 0, bad, step, deleted: false });
    const UPID = 'UPID:pve2:00001234:00005678:6740ABCD:qmstart:100:root@pam!homelab:';

    before(async () => {
      server = await startHttps((r, res) => {
        const p = decodeURIComponent(apiPath(r));
        const base = `/nodes/pve2/tasks/${UPID}`;
        if (p === `${base}/status` && r.method === 'GET') {
          if (task.bad > 0) {
            task.bad--;
            return reply(res, 400, null, 'Parameter verification failed.', { errors: { upid: 'unable to parse worker upid' } });
          }
          task.polls++;
          task.step(task);
          return reply(res, 200, { upid: UPID, node: 'pve2', status: task.status, ...(task.status === 'stopped' ? { exitstatus: task.exitstatus } : {}) });
        }
        if (p === `${base}/log` && r.method === 'GET') {
          const start = Number(query(r).get('start') ?? 0);
          const limit = Number(query(r).get('limit') ?? 50);
          if (task.lines.length === 0) return reply(res, 200, [{ n: 1, t: 'no content' }]);
          return reply(res, 200, task.lines.slice(start, start + limit).map((t, i) => ({ n: start + i + 1, t })));
        }
        if (p === base && r.method === 'DELETE') {
          task.deleted = true;
          return reply(res, 200, null);
        }
        reply(res, 501, null, `Method '${r.method} ${p}' not implemented`);
      });
      client = new ProxmoxClient({ url: server.url, fingerprint: certs.serverFingerprint, auth: { kind: 'token', tokenId: TOKEN_ID, secret: TOKEN_SECRET } });
    });
    beforeEach(() => (server.requests.length = 0));
    after(async () => {
      await client.close();
      await server.close();
    });

    it('delivers each log line once, in order, asking only for new lines', async () => {
      newTask((t) => {
        if (t.polls <= 3) t.lines.push(`line ${t.polls}a`, `line ${t.polls}b`);
        else {
          t.lines.push('TASK OK');
          t.status = 'stopped';
          t.exitstatus = 'OK';
        }
      });
      const batches: string[][] = [];
      const out = await followTask(client, UPID, { pollMs: 10, onLog: (l) => batches.push(l) });
      assert.equal(out.status, 'ok');
      assert.equal(out.exitstatus, 'OK');
      assert.deepEqual(batches.flat(), ['line 1a', 'line 1b', 'line 2a', 'line 2b', 'line 3a', 'line 3b', 'TASK OK']);
      assert.ok(batches.length >= 4, 'incremental, not all at the end');
      const starts = server.requests.filter((r) => apiPath(r).endsWith('/log')).map((r) => Number(query(r).get('start')));
      assert.deepEqual(starts, [0, 2, 4, 6]);
      assert.ok(server.requests.every((r) => apiPath(r).startsWith('/nodes/pve2/')), 'asks the node named in the UPID');
      assert.deepEqual(out.logTail, batches.flat());
    });

    it('pages through a long log and keeps only the tail', async () => {
      newTask((t) => {
        for (let i = 1; i <= 1234; i++) t.lines.push(`l${i}`);
        t.status = 'stopped';
        t.exitstatus = 'OK';
      });
      const seen: string[] = [];
      const out = await followTask(client, UPID, { pollMs: 10, tailLines: 5, onLog: (l) => seen.push(...l) });
      assert.equal(seen.length, 1234);
      assert.equal(seen[0], 'l1');
      assert.equal(seen[1233], 'l1234');
      assert.deepEqual(out.logTail, ['l1230', 'l1231', 'l1232', 'l1233', 'l1234']);
    });

    it('reports warnings with their count', async () => {
      newTask((t) => {
        t.lines.push('WARN: something odd');
        t.status = 'stopped';
        t.exitstatus = 'WARNINGS: 2';
      });
      const out = await followTask(client, UPID, { pollMs: 10 });
      assert.equal(out.status, 'warnings');
      assert.equal(out.warnings, 2);
      assert.deepEqual(out.logTail, ['WARN: something odd']);
    });

    it('reports a failure inside the task with its message', async () => {
      newTask((t) => {
        t.lines.push('VM 100 already running', 'TASK ERROR: VM 100 already running');
        t.status = 'stopped';
        t.exitstatus = 'VM 100 already running';
      });
      const out = await followTask(client, UPID, { pollMs: 10 });
      assert.equal(out.status, 'error');
      assert.equal(out.exitstatus, 'VM 100 already running');
      assert.equal(out.warnings, undefined);
    });

    it('tolerates a brief 400 right after creation', async () => {
      newTask((t) => {
        t.status = 'stopped';
        t.exitstatus = 'OK';
      }, 2);
      const out = await followTask(client, UPID, { pollMs: 10 });
      assert.equal(out.status, 'ok');
      assert.equal(server.requests.filter((r) => apiPath(r).endsWith('/status')).length, 3);
      assert.deepEqual(out.logTail, [], '"no content" is not a log line');
    });

    it('gives up on a 400 that lasts past the grace period', async () => {
      newTask(() => undefined, 1000);
      await assert.rejects(followTask(client, UPID, { pollMs: 20, startGraceMs: 150 }), (e: unknown) =>
        e instanceof ProxmoxError && e.kind === 'parameter' && e.status === 400);
    });

    it('cancels with DELETE on the task when the signal fires, then reports how it ended', async () => {
      newTask((t) => {
        if (t.deleted) {
          t.lines.push('received interrupt');
          t.status = 'stopped';
          t.exitstatus = 'interrupted by signal';
        } else t.lines.push(`working ${t.polls}`);
      });
      const ctl = new AbortController();
      const p = followTask(client, UPID, { pollMs: 20, signal: ctl.signal, onLog: (l) => l.includes('working 3') && ctl.abort() });
      const out = await p;
      const del = server.requests.filter((r) => r.method === 'DELETE');
      assert.equal(del.length, 1);
      assert.equal(decodeURIComponent(apiPath(del[0])), `/nodes/pve2/tasks/${UPID}`);
      assert.equal(out.cancelled, true);
      assert.equal(out.status, 'error');
      assert.equal(out.exitstatus, 'interrupted by signal');
      assert.equal(out.logTail.at(-1), 'received interrupt');
    });

    it('does not send DELETE when the task ends normally', async () => {
      newTask((t) => {
        t.status = 'stopped';
        t.exitstatus = 'OK';
      });
      await followTask(client, UPID, { pollMs: 10, signal: new AbortController().signal });
      assert.equal(server.requests.filter((r) => r.method === 'DELETE').length, 0);
    });

    it('rejects a malformed UPID before any request', async () => {
      await assert.rejects(followTask(client, 'not-a-upid'), /is not a Proxmox task id/);
      assert.equal(server.requests.length, 0);
    });
  });
});
