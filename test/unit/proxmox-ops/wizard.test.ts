import assert from 'node:assert/strict';
import { BackError, runWizard, type StepInfo } from '../../../src/commands/wizard';

/** A step that answers from a queue; '<back>' presses Back. */
function steps(answers: string[], log: string[]) {
  const ask = (name: string, skip?: (s: Record<string, string>) => boolean) => async (s: Record<string, string>, at: StepInfo) => {
    if (skip?.(s)) return 'skip' as const;
    log.push(`${name}${at.back ? '<' : ''}`);
    const a = answers.shift();
    if (a === undefined) throw new Error('no more answers');
    if (a === '<back>') throw new BackError();
    s[name] = a;
  };
  return [ask('mode'), ask('storage', (s) => s.mode === 'linked'), ask('cores')];
}

describe('wizard with Back', () => {
  it('goes back to the previous answered step and keeps going', async () => {
    const log: string[] = [];
    const s = await runWizard<Record<string, string>>({}, steps(['full', 'nfs', '<back>', 'local', '2'], log));
    assert.deepEqual(s, { mode: 'full', storage: 'local', cores: '2' });
    assert.deepEqual(log, ['mode', 'storage<', 'cores<', 'storage<', 'cores<']);
  });

  it('Back jumps over skipped steps; Back on the first step stays there', async () => {
    const log: string[] = [];
    const s = await runWizard<Record<string, string>>({}, steps(['<back>', 'linked', '<back>', 'full', 'nfs', '4'], log));
    assert.deepEqual(s, { mode: 'full', storage: 'nfs', cores: '4' });
    assert.deepEqual(log, ['mode', 'mode', 'cores<', 'mode', 'storage<', 'cores<']);
  });

  it('other errors end the wizard', async () => {
    await assert.rejects(runWizard({}, steps([], [])), /no more answers/);
  });
});
