// Issue 12 item 11: SECURITY.md states the threat model for each source of influence.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

describe('SECURITY.md', () => {
  const file = resolve(__dirname, '../../SECURITY.md');
  it('exists and covers every source of influence with what Homelab does', () => {
    assert.ok(existsSync(file));
    const text = readFileSync(file, 'utf8');
    for (const heading of ['### The Proxmox server', '### Other Proxmox users', '### Guest agents', '### The workspace', '### Other extensions']) {
      const at = text.indexOf(heading);
      assert.ok(at >= 0, `no section "${heading}"`);
      const body = text.slice(at + heading.length, text.indexOf('\n### ', at + heading.length) >>> 0);
      assert.ok(body.split('\n- ').length > 2, `"${heading}" says what Homelab does`);
    }
  });
});
