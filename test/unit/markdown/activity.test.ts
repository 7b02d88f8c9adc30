import { strict as assert } from 'node:assert';
import { appendActivity, appendNoteToEntry, formatActivityLine, parseActivity } from '../../../src/providers/markdown/activity';
import { rawLines, fixture } from './helpers';

describe('activity log', () => {
  const when = Date.UTC(2025, 10, 21, 21, 3, 4, 567);

  it('formats one list line and parses it back', () => {
    const line = formatActivityLine({ when, what: 'Clone guest 101 to 120', cluster: 'pve', target: 'node1/101', durationMs: 1234, result: 'ok' });
    assert.equal(line, '- 2025-11-21T21:03:04Z · **ok** · Clone guest 101 to 120 · cluster `pve` · target `node1/101` · 1.2 s');
    const [e] = parseActivity(Buffer.from(`# Activity log\n\n${line}\n`));
    assert.deepEqual(e, { line: 3, when: '2025-11-21T21:03:04Z', result: 'ok', what: 'Clone guest 101 to 120', cluster: 'pve', target: 'node1/101', durationMs: 1200 });
  });

  it('keeps hostile text on one line and the separators unambiguous', () => {
    const line = formatActivityLine({ when: new Date(when), what: 'Build\nISO · with `ticks`', durationMs: 3_723_000, result: 'failed' });
    assert.ok(!line.includes('\n'));
    const [e] = parseActivity(Buffer.from(line));
    assert.equal(e.what, "Build ISO - with 'ticks'");
    assert.equal(e.result, 'failed');
    assert.equal(e.durationMs, 3_720_000);
    assert.equal(e.cluster, undefined);
    assert.equal(formatActivityLine({ when, what: 'x', durationMs: 61_000, result: 'cancelled' }).endsWith('1 min 1 s'), true);
    assert.throws(() => formatActivityLine({ when: 'not a date', what: 'x', durationMs: 1, result: 'ok' }), RangeError);
    assert.throws(() => formatActivityLine({ when, what: '  ', durationMs: 1, result: 'ok' }), RangeError);
  });

  it('creates the file with a header, then appends keeping existing bytes and line endings', () => {
    const l1 = formatActivityLine({ when, what: 'Start guest 101', durationMs: 800, result: 'ok' });
    const l2 = formatActivityLine({ when: when + 1000, what: 'Stop guest 101', durationMs: 900, result: 'ok' });
    const first = appendActivity(undefined, l1);
    assert.equal(first.toString(), `# Activity log\n\n${l1}\n`);
    assert.equal(appendActivity(Buffer.alloc(0), l1).toString(), first.toString());
    const second = appendActivity(first, l2);
    assert.ok(second.subarray(0, first.length).equals(first));
    assert.deepEqual(parseActivity(second).map((e) => e.what), ['Start guest 101', 'Stop guest 101']);

    const crlf = Buffer.from(`# Activity log\r\n\r\n${l1}`); // CRLF, no final newline, and a mojibake line
    const withMoji = Buffer.concat([crlf, Buffer.from('\r\nâœ… kept\r\n'), Buffer.from([0xff])]);
    const out = appendActivity(withMoji, l2);
    assert.ok(out.subarray(0, withMoji.length).equals(withMoji), 'existing bytes changed');
    assert.equal(out.subarray(withMoji.length).toString(), `\r\n${l2}\r\n`);
    assert.deepEqual(parseActivity(out).map((e) => e.line), [3, 6]);
    assert.throws(() => appendActivity(first, 'a\nb'), RangeError);
  });

  it('ignores lines that are not activity lines', () => {
    assert.deepEqual(parseActivity(Buffer.from('# Activity log\n\n- just a note\n- 2025-13-01 · nope\n')), []);
    assert.deepEqual(parseActivity(Buffer.alloc(0)), []);
  });

  it('appends a note to a journal entry, creating a Notes section once', () => {
    const entry = fixture('journal/ups-notes.md'); // no final newline
    const out = appendNoteToEntry(entry, 'Battery swapped', { when: new Date(when) });
    assert.ok(out.subarray(0, entry.length).equals(entry));
    assert.equal(out.subarray(entry.length).toString(), '\n\n## Notes\n\n- 2025-11-21 21:03 UTC: Battery swapped');
    const out2 = appendNoteToEntry(out, 'Second note\nwith two lines');
    assert.equal(out2.subarray(out.length).toString(), '\n- Second note\n  with two lines');
    const lines = rawLines(out2);
    assert.equal(lines.filter((l) => l.toString().startsWith('## Notes')).length, 1);
    assert.throws(() => appendNoteToEntry(entry, '  '), RangeError);
    const mid = Buffer.from('# E\r\n\r\n## Notes\r\n\r\n- one\r\n\r\n## Later\r\n');
    assert.equal(appendNoteToEntry(mid, 'two').toString(), '# E\r\n\r\n## Notes\r\n\r\n- one\r\n- two\r\n\r\n## Later\r\n');
  });
});
