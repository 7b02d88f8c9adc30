import { strict as assert } from 'node:assert';
import { StaleEditError } from '../../../src/providers/markdown/errors';
import { lineHash, splitLines } from '../../../src/providers/markdown/lines';
import { linkStoryEdit } from '../../../src/providers/markdown/links';
import { buildDashboard } from '../../../src/providers/markdown/dashboard';

const LOG = '# Activity log\r\n\r\n- 2025-06-02T10:00:00Z · **ok** · Clone guest 101 · 2 min 0 s\r\n- 2025-06-03T10:00:00Z · **ok** · Start guest 101 for story 0.1.3 · 1.0 s';
const hashOf = (bytes: Buffer, line: number): string => lineHash(splitLines(bytes)[line - 1].content);

describe('dashboard: linking an activity entry to a story', () => {
  it('appends " · story <id>" to that line only; every other byte (CRLF, no final newline) stays', () => {
    const bytes = Buffer.from(LOG);
    const out = Buffer.from(linkStoryEdit('a.md', 3, hashOf(bytes, 3), '0.2.1')(bytes));
    assert.equal(out.toString(), LOG.replace('2 min 0 s\r\n', '2 min 0 s · story 0.2.1\r\n'));
    // The linked entry now counts for the story, and still parses with its duration.
    const d = buildDashboard({
      journal: [], trackers: [{ key: 't', label: 't.md', bytes: Buffer.from('### Epic 0.2: X\n\n| # | Story |\n| - | - |\n| 0.2.1 | Thing |\n') }],
      activity: { key: 'a', label: 'a.md', bytes: out }, history: { available: false, reason: 'x', points: [], epicTitles: {} },
    });
    assert.deepEqual(d.stories[0].operations.map((o) => [o.what, o.durationMs]), [['Clone guest 101', 120_000]]);
  });

  it('writes nothing when the line already names the story', () => {
    const bytes = Buffer.from(LOG);
    assert.equal(linkStoryEdit('a.md', 4, hashOf(bytes, 4), '0.1.3')(bytes), bytes);
    // 0.1.31 is another story.
    assert.notEqual(Buffer.from(linkStoryEdit('a.md', 4, hashOf(bytes, 4), '0.1.31')(bytes)).toString(), LOG);
  });

  it('refuses when the line changed or is gone, and refuses an ID that is not one', () => {
    const bytes = Buffer.from(LOG);
    const hash = hashOf(bytes, 3);
    const edited = Buffer.from(LOG.replace('Clone guest 101', 'Clone guest 102'));
    assert.throws(() => linkStoryEdit('a.md', 3, hash, '0.2.1')(edited), StaleEditError);
    assert.throws(() => linkStoryEdit('a.md', 9, hash, '0.2.1')(bytes), StaleEditError);
    assert.throws(() => linkStoryEdit('a.md', 3, hash, '0.2.1\n- injected'), RangeError);
    assert.throws(() => linkStoryEdit('a.md', 3, hash, 'abc'), RangeError);
  });
});
