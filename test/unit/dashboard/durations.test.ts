import { strict as assert } from 'node:assert';
import { findDurations, formatHours, midHours, parseDuration } from '../../../src/providers/markdown/durations';

describe('dashboard: durations as written', () => {
  it('reads ranges, approximations and units into hours, keeping the text', () => {
    const cases: Array<[string, number | undefined, number | undefined, boolean]> = [
      ['8-12 hours', 8, 12, false],
      ['~8 hours', 8, 8, true],
      ['2-3 weeks', 80, 120, false],
      ['2 – 3 weeks', 80, 120, false],
      ['2 to 3 days', 16, 24, false],
      ['about 3 days', 24, 24, true],
      ['1.5h', 1.5, 1.5, false],
      ['8+ hours', 8, 8, true],
      ['10-30 minutes', 10 / 60, 0.5, false],
      ['12-8 hours', 8, 12, false],
      ['1,5 hours', 1.5, 1.5, false],
    ];
    for (const [text, lo, hi, approx] of cases) {
      const d = parseDuration(text);
      assert.equal(d.text, text);
      assert.equal(d.minHours, lo, text);
      assert.equal(d.maxHours, hi, text);
      assert.equal(d.approximate === true, approx, text);
    }
  });

  it('keeps a malformed duration as text only ("a weekend", "", "lots")', () => {
    for (const text of ['a weekend', '', 'lots', 'TBD', '4-5x faster', 'hours and hours']) {
      const d = parseDuration(text);
      assert.deepEqual(d, { text: text.trim() });
      assert.equal(midHours(d), undefined);
      assert.equal(formatHours(d), text.trim());
    }
  });

  it('finds the duration inside a sentence and ignores counts without a time unit', () => {
    const found = findDurations('2-3 focused sessions totaling ~8 hours:');
    assert.equal(found.length, 1);
    assert.equal(found[0].text, '~8 hours');
    assert.equal(parseDuration('2-3 focused sessions totaling ~8 hours:').minHours, 8);
    assert.deepEqual(findDurations('20GB disks, 3 nodes, 4-5x'), []);
  });

  it('formats hours for tables', () => {
    assert.equal(formatHours(parseDuration('8-12 hours')), '8–12 h');
    assert.equal(formatHours(parseDuration('~8 hours')), '~8 h');
    assert.equal(formatHours(parseDuration('2-3 weeks')), '80–120 h');
    assert.equal(midHours(parseDuration('2-3 weeks')), 100);
  });
});
