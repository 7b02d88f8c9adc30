// Issue 12 item 9: a large tracker is parsed off the main thread (the event loop keeps running),
// with the same result as parsing inline; small files stay inline.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { TrackerParser, INLINE_PARSE_BYTES } from '../../../src/providers/markdown/parser';
import { parseTracker } from '../../../src/providers/markdown/tracker';
import { fixture } from './helpers';

const WORKER = path.resolve(__dirname, '../../../src/providers/markdown/parse-worker.ts');

describe('tracker parsing off the main thread', function () {
  this.timeout(60_000);
  const parser = new TrackerParser(WORKER, ['--require', 'tsx/cjs']);
  after(() => parser.dispose());

  it('parses a large file on the worker while the main thread keeps serving events, same model as inline', async () => {
    const one = fixture('tracker-phase1.md');
    const big = Buffer.concat(Array.from({ length: Math.ceil((1024 * 1024) / one.length) }, () => one));
    assert.ok(parser.offThread);
    let ticks = 0;
    let run = true;
    const tick = (): void => { ticks++; if (run) setImmediate(tick); };
    setImmediate(tick);
    const model = await parser.parse(big, 'big.md');
    run = false;
    // Inline, this parse is one synchronous call: not a single tick could run during it.
    assert.ok(ticks > 20, `the event loop ran ${ticks} times during the parse`);
    const inline = parseTracker(big, 'big.md');
    assert.ok(JSON.stringify(model) === JSON.stringify(inline), 'same model as inline');
  });

  it('small files are parsed inline, and without a worker script everything is', async () => {
    const small = fixture('tracker-phase1.md');
    assert.ok(small.length <= INLINE_PARSE_BYTES);
    assert.deepEqual(await parser.parse(small, 's.md'), parseTracker(small, 's.md'));
    const none = new TrackerParser('/nonexistent/tracker-worker.js');
    assert.equal(none.offThread, false);
    assert.equal((await none.parse(small, 's.md')).sections.length, parseTracker(small, 's.md').sections.length);
  });
});
