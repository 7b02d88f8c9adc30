import assert from 'node:assert/strict';
import { BackError, runWizard, type StepInfo, type WizardTrail } from '../../../src/commands/wizard';

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

  it('a trail reopens a finished wizard on its last step with the answers kept; Back jumps over what was skipped', async () => {
    const trail: WizardTrail = { answered: [], skipped: [] };
    const s = await runWizard<Record<string, string>>({}, steps(['linked', '2'], []), trail);
    assert.deepEqual(trail, { answered: [0, 2], skipped: [1] });
    const log: string[] = [];
    await runWizard(s, steps(['<back>', 'full', 'nfs', '8'], log), trail);
    assert.deepEqual(log, ['cores<', 'mode', 'storage<', 'cores<'], 'starts at the last step, with Back');
    assert.deepEqual(s, { mode: 'full', storage: 'nfs', cores: '8' });
  });

  it('a failure on the last step still records the trail (for "Try again")', async () => {
    const trail: WizardTrail = { answered: [], skipped: [] };
    await assert.rejects(runWizard<Record<string, string>>({}, steps(['full', 'nfs'], []), trail), /no more answers/);
    assert.deepEqual(trail, { answered: [0, 1], skipped: [] });
    const log: string[] = [];
    const s = await runWizard<Record<string, string>>({ mode: 'full', storage: 'nfs' }, steps(['4'], log), trail);
    assert.deepEqual(log, ['cores<']);
    assert.equal(s.cores, '4');
  });

  it('without a trail, or with an empty one, the wizard starts at the first step', async () => {
    const log: string[] = [];
    await runWizard<Record<string, string>>({}, steps(['full', 'nfs', '1'], log), { answered: [], skipped: [] });
    assert.equal(log[0], 'mode');
  });
});
