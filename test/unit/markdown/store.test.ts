import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  editFile, FileStore, MAX_EDIT_BYTES, nodeFileStore, readVersioned, writeAtomic,
} from '../../../src/providers/markdown/store';
import { checklistEdit, storyStatusEdit } from '../../../src/providers/markdown/edit';
import { ConflictError, FileTooLargeError, ReadOnlyFileError } from '../../../src/providers/markdown/errors';
import { parseTracker } from '../../../src/providers/markdown/tracker';
import { changedLines, fixture } from './helpers';

describe('safe file writes', () => {
  let dir: string;
  const store = nodeFileStore();
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'homelab-md-')); });
  afterEach(() => {
    try { chmodSync(dir, 0o755); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  });

  function put(name: string, bytes: Uint8Array): string {
    const p = path.join(dir, name);
    writeFileSync(p, bytes);
    return p;
  }

  it('writeAtomic replaces the file and leaves no temp file', async () => {
    const p = put('a.md', Buffer.from('old\n'));
    await writeAtomic(store, p, Buffer.from('new\r\n'));
    assert.equal(readFileSync(p, 'latin1'), 'new\r\n');
    assert.deepEqual(readdirSync(dir), ['a.md']);
    await writeAtomic(store, path.join(dir, 'b.md'), Buffer.alloc(0));
    assert.deepEqual(readdirSync(dir).sort(), ['a.md', 'b.md']);
  });

  it('writeAtomic keeps the file mode', async () => {
    const p = put('m.md', Buffer.from('x'));
    chmodSync(p, 0o600);
    await writeAtomic(store, p, Buffer.from('y'));
    assert.equal(statSync(p).mode & 0o777, 0o600);
  });

  it('writeAtomic removes its temp file when the rename fails', async () => {
    const p = put('a.md', Buffer.from('old'));
    const failing: FileStore = { ...store, rename: async () => { throw Object.assign(new Error('disk on fire'), { code: 'EIO' }); } };
    await assert.rejects(writeAtomic(failing, p, Buffer.from('new')), /disk on fire/);
    assert.deepEqual(readdirSync(dir), ['a.md']);
    assert.equal(readFileSync(p, 'utf8'), 'old');
  });

  it('editFile applies an edit when the file is unchanged', async () => {
    const bytes = fixture('tracker-phase1.md');
    const p = put('t.md', bytes);
    const { version } = await readVersioned(store, p);
    const item = parseTracker(bytes, p).sections[0].checklist[1];
    const r = await editFile(store, p, version, checklistEdit(item.locator, true));
    assert.equal(r.outcome, 'applied');
    const disk = readFileSync(p);
    assert.ok(disk.equals(r.bytes));
    assert.deepEqual(changedLines(bytes, disk), [item.locator.line - 1]);
    assert.equal(r.version.size, disk.length);
    assert.deepEqual(readdirSync(dir), ['t.md']);
  });

  it('re-applies an edit after an unrelated outside edit (the outside edit is kept)', async () => {
    const bytes = fixture('tracker-phase1.md');
    const p = put('t.md', bytes);
    const { version } = await readVersioned(store, p);
    const st = parseTracker(bytes, p).sections.flatMap((s) => s.tables.flatMap((t) => t.stories)).find((s) => s.id === '1.2.5')!;
    const outside = Buffer.concat([Buffer.from('<!-- edited in vim -->\n'), bytes, Buffer.from('\nappended outside\n')]);
    writeFileSync(p, outside);
    const r = await editFile(store, p, version, storyStatusEdit(st.locator, 'done'));
    assert.equal(r.outcome, 'reapplied');
    const disk = readFileSync(p);
    assert.ok(disk.toString('latin1').startsWith('<!-- edited in vim -->\n'));
    assert.ok(disk.toString('latin1').endsWith('\nappended outside\n'));
    assert.deepEqual(changedLines(outside, disk), [st.locator.line]);
  });

  it('refuses with ConflictError when the outside edit touched the same line, and writes nothing', async () => {
    const bytes = fixture('tracker-phase1.md');
    const p = put('t.md', bytes);
    const { version } = await readVersioned(store, p);
    const item = parseTracker(bytes, p).sections[0].checklist[1];
    const outside = Buffer.from(bytes.toString('latin1').replace('- [ ] Reserve static IPs on the router', '- [x] Reserve static IPs on the router (done in vim)'), 'latin1');
    assert.ok(!outside.equals(bytes));
    writeFileSync(p, outside);
    await assert.rejects(editFile(store, p, version, checklistEdit(item.locator, true)), (e: unknown) => e instanceof ConflictError && /changed outside/.test(e.message));
    assert.ok(readFileSync(p).equals(outside), 'outside edit was overwritten');
    assert.deepEqual(readdirSync(dir), ['t.md']);
  });

  it('returns unchanged and does not write when the edit changes nothing', async () => {
    const bytes = fixture('tracker-crlf.md');
    const p = put('c.md', bytes);
    const before = statSync(p).mtimeMs;
    const { version } = await readVersioned(store, p);
    const item = parseTracker(bytes, p).sections[1].checklist[1];
    let writes = 0;
    const counting: FileStore = { ...store, write: async (f, d) => { writes++; return store.write(f, d); } };
    const r = await editFile(counting, p, version, checklistEdit(item.locator, true));
    assert.equal(r.outcome, 'unchanged');
    assert.equal(writes, 0);
    assert.equal(statSync(p).mtimeMs, before);
  });

  it('starts over when the file changes between read and write (no lost update)', async () => {
    const bytes = fixture('tracker-phase1.md');
    const p = put('t.md', bytes);
    const { version } = await readVersioned(store, p);
    const item = parseTracker(bytes, p).sections[0].checklist[1];
    let raced = false;
    const racing: FileStore = {
      ...store,
      read: async (f) => {
        const b = await store.read(f);
        if (!raced) { raced = true; writeFileSync(p, Buffer.concat([Buffer.from(bytes), Buffer.from('racing writer\n')])); }
        return b;
      },
    };
    const r = await editFile(racing, p, version, checklistEdit(item.locator, true));
    assert.equal(r.outcome, 'reapplied');
    const disk = readFileSync(p, 'latin1');
    assert.ok(disk.endsWith('racing writer\n'), 'the racing write was lost');
    assert.match(disk, /- \[x\] Reserve static IPs/);
  });

  it('refuses files over 10 MB for editing, with a clear message', async () => {
    const p = put('big.md', Buffer.alloc(MAX_EDIT_BYTES + 1, 0x61));
    const { version, truncated, bytes } = await readVersioned(store, p, { maxBytes: 1024 });
    assert.equal(truncated, true);
    assert.equal(bytes.length, 1024);
    await assert.rejects(editFile(store, p, version, () => Buffer.from('x')), (e: unknown) => e instanceof FileTooLargeError && /10 MB/.test(e.message));
    assert.equal(statSync(p).size, MAX_EDIT_BYTES + 1);
  });

  it('gives a clear error for a read-only file and leaves it alone', async () => {
    const bytes = fixture('learning-goals.md');
    const p = put('g.md', bytes);
    chmodSync(p, 0o444);
    const { version } = await readVersioned(store, p);
    const item = parseTracker(bytes, p).sections[0].checklist[0];
    await assert.rejects(editFile(store, p, version, checklistEdit(item.locator, true)), (e: unknown) => e instanceof ReadOnlyFileError && /read-only/.test(e.message));
    await assert.rejects(writeAtomic(store, p, Buffer.from('x')), ReadOnlyFileError);
    assert.ok(readFileSync(p).equals(bytes));
    assert.deepEqual(readdirSync(dir), ['g.md']);
  });

  it('maps a permission failure of the store to ReadOnlyFileError and cleans up', async () => {
    const p = put('g.md', Buffer.from('x'));
    const denied: FileStore = { ...store, write: async () => { throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }); } };
    await assert.rejects(writeAtomic(denied, p, Buffer.from('y')), ReadOnlyFileError);
    assert.equal(readFileSync(p, 'utf8'), 'x');
  });

  it('refuses with ConflictError when the file was deleted, and does not recreate it', async () => {
    const bytes = fixture('learning-goals.md');
    const p = put('g.md', bytes);
    const { version } = await readVersioned(store, p);
    const item = parseTracker(bytes, p).sections[0].checklist[0];
    rmSync(p);
    await assert.rejects(editFile(store, p, version, checklistEdit(item.locator, true)), ConflictError);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('reads an empty file to an empty model and can edit nothing in it', async () => {
    const p = put('e.md', Buffer.alloc(0));
    const { bytes, version } = await readVersioned(store, p);
    assert.equal(version.size, 0);
    assert.deepEqual(parseTracker(bytes, p).sections, []);
    await assert.rejects(editFile(store, p, version, checklistEdit({ file: p, line: 1, hash: 'x' }, true)));
    assert.equal(statSync(p).size, 0);
  });
});
