import * as assert from 'node:assert/strict';
import { TEST_HOOKS_ENV, testApi, testHooksEnabled, type HomelabApi } from '../../../src/testing';

// vscode.ExtensionMode (Production = 1, Development = 2, Test = 3); this suite runs without vscode.
const Production = 1;
const Development = 2;
const Test = 3;

describe('test hooks in the exports (src/testing.ts)', () => {
  it('are enabled only in a test host whose harness set the flag', () => {
    assert.equal(testHooksEnabled(Test, { [TEST_HOOKS_ENV]: '1' }), true);
  });

  it('are never enabled for a normal (production) activation, whatever the environment says', () => {
    // Every extension shares process.env: another one could set the flag before we activate.
    assert.equal(testHooksEnabled(Production, { [TEST_HOOKS_ENV]: '1' }), false);
    assert.equal(testHooksEnabled(Production, {}), false);
    assert.equal(testHooksEnabled(undefined, { [TEST_HOOKS_ENV]: '1' }), false);
  });

  it('are not enabled by the development host or by a test host the harness did not flag', () => {
    assert.equal(testHooksEnabled(Development, { [TEST_HOOKS_ENV]: '1' }), false);
    assert.equal(testHooksEnabled(Test, {}), false);
    for (const v of ['0', 'true', '', ' 1']) assert.equal(testHooksEnabled(Test, { [TEST_HOOKS_ENV]: v }), false, `value ${JSON.stringify(v)}`);
  });

  it('testApi hands out a frozen object with exactly the given parts', () => {
    const parts = { registry: {}, prompts: {} } as unknown as HomelabApi;
    const api = testApi(parts);
    assert.ok(Object.isFrozen(api));
    assert.deepEqual(Object.keys(api).sort(), ['prompts', 'registry']);
  });
});
