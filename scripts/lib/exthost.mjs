// Runs mocha suites INSIDE a real VS Code extension host through VS Code's own extensionTestsPath
// mechanism, on code-server with the smoke-test driver (facts: ../shared/vscode-testing/NOTES.md).
import { mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { launchBrowser } from './browser.mjs';
import { freePort, startCodeServer } from './code-server.mjs';

/**
 * @param {{runDir: string, extensionPath: string, testsPath: string, workspace: string, env?: Record<string,string>, timeoutMs?: number, onLog?: (line: string) => void, testHooks?: boolean}} options
 *   testHooks (default true): the extension exports its test API (src/testing.ts) only when the
 *   host's environment has HOMELAB_TEST_HOOKS=1; false runs it as users get it (bench/activation).
 * @returns {{passed:number, failed:number, pending:number, exitCode:number|null, failures:string[]}}
 */
export async function runExtensionHostTests({ runDir, extensionPath, testsPath, workspace, env = {}, testHooks = true, timeoutMs = 20 * 60_000, onLog = (l) => void process.stdout.write(l + '\n') }) {
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const resultsFile = env.HOMELAB_TEST_RESULTS ?? join(runDir, 'results.json');
  const port = await freePort();
  const server = await startCodeServer({ runDir, port, workspace, smokeTest: true, env });
  let context;
  try {
    context = await launchBrowser(runDir);
    const page = context.pages()[0] ?? (await context.newPage());
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      for (const line of text.replace(/\n$/, '').split('\n')) onLog(line);
    });
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(extensionPath)],
      ['extensionTestsPath', remote(testsPath)],
      ['extensionEnvironment', JSON.stringify({ ...env, HOMELAB_TEST_RESULTS: resultsFile, ...(testHooks ? { HOMELAB_TEST_HOOKS: '1' } : {}) })],
    ];
    const url = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url);
    const timer = new Promise((r) => setTimeout(() => r('timeout'), timeoutMs));
    const exitCode = await Promise.race([exited, timer]);
    if (exitCode === 'timeout') throw new Error(`extension-host tests did not finish within ${timeoutMs / 1000} s`);
    if (!existsSync(resultsFile)) {
      throw new Error(`the extension host exited (${exitCode}) without writing results: the test module failed to load (see the log above and ${join(runDir, 'code-server.log')})`);
    }
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    return { ...results, exitCode };
  } finally {
    await context?.close().catch(() => {});
    await server.stop();
  }
}
