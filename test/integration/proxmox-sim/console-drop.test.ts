// How a console ends, as the terminal tells "the shell exited" (close it) from "the connection
// dropped" (offer to reconnect): the close code. Also the simulator's drop knob used by the
// extension-host tests.
import { strict as assert } from 'node:assert';
import { openConsole, ProxmoxClient, guestRefOf, type ConsoleSession } from '../../../src/providers/proxmox';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';

const until = (s: ConsoleSession, re: RegExp, ms = 5000) => new Promise<string>((resolve, reject) => {
  let buf = '';
  const t = setTimeout(() => { d.dispose(); reject(new Error(`timed out waiting for ${re} in ${JSON.stringify(buf)}`)); }, ms);
  const d = s.onData((x) => { buf += x; if (re.test(buf)) { clearTimeout(t); d.dispose(); resolve(buf); } });
});

describe('proxmox-sim consoles: exit vs. a dropped connection', function () {
  this.timeout(20000);
  let sim: Simulator;
  let client: ProxmoxClient;
  before(async () => {
    sim = await startSimulator({ taskDurationMs: 100, authFailDelayMs: 0, guests: 6, lab: true });
    client = new ProxmoxClient({ url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret } });
  });
  after(async () => {
    await client.close();
    await sim.close();
  });

  it('exit in the shell closes normally (1000), not by the user', async () => {
    const s = await openConsole(client, { kind: 'node', node: 'pve1' });
    await until(s, /root@pve1:~# $/);
    s.write('exit\r');
    const e = await s.closed;
    assert.equal(e.code, 1000);
    assert.equal(e.byUser, false);
  });

  it('dropConsoles cuts the socket: abnormal close (1006), and a new session opens afterwards', async () => {
    const ct = guestRefOf((await client.resources('vm')).find((r) => r.type === 'lxc' && r.status === 'running')!)!;
    const s = await openConsole(client, { kind: 'guest', guest: ct });
    await until(s, /:~# $/);
    sim.dropConsoles();
    const e = await s.closed;
    assert.equal(e.code, 1006, `close code ${e.code} ${e.reason}`);
    assert.equal(e.byUser, false);
    const again = await openConsole(client, { kind: 'guest', guest: ct });
    await until(again, /:~# $/);
    const out = until(again, /whoami\r\nroot\r\n/);
    again.write('whoami\r');
    await out;
    again.close();
  });
});
