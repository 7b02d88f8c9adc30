// Helpers for the journal and tracker extension-host suites: workspace files, scripted commands,
// and talking to a panel the way its page does (through the channel's receive()).
import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { WebviewChannel } from '../../src/views/webview';

/** The repo's markdown fixtures (the bundle runs from out/exthost). */
export const FIXTURES = resolve(__dirname, '../../test/fixtures/markdown');

export function workspaceRoot(): string {
  const ws = vscode.workspace.workspaceFolders?.[0];
  assert.ok(ws, 'the extension-host tests need a workspace folder');
  return ws.uri.fsPath;
}

export function wsPath(rel: string): string {
  return join(workspaceRoot(), rel);
}

export function writeWs(rel: string, bytes: Uint8Array | string): string {
  const p = wsPath(rel);
  mkdirSync(dirname(p), { recursive: true });
  try { chmodSync(p, 0o644); } catch { /* new file */ }
  writeFileSync(p, bytes);
  return p;
}

export function readWs(rel: string): Buffer {
  return readFileSync(wsPath(rel));
}

export function removeWs(rel: string): void {
  try { chmodSync(wsPath(rel), 0o755); } catch { /* gone */ }
  rmSync(wsPath(rel), { recursive: true, force: true });
}

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function keyOfWs(rel: string): string {
  return vscode.Uri.file(wsPath(rel)).toString();
}

export { runScripted } from './util';

let nextId = 1000;

/** Sends a request as the page does and resolves with the host's response payload. */
export async function request<R>(channel: WebviewChannel<never, never> | { receive(raw: unknown): Promise<boolean>; posted: Array<{ type: string; id?: number; payload: unknown }> }, type: string, payload: unknown): Promise<R> {
  const id = nextId++;
  const accepted = await channel.receive({ type, id, payload });
  assert.equal(accepted, true, `the host refused a valid ${type} request`);
  const response = channel.posted.find((m) => m.id === id && m.type === `${type}/response`);
  assert.ok(response, `no ${type}/response for request ${id}`);
  return response.payload as R;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('homelab').update(key, value, vscode.ConfigurationTarget.Workspace);
}

export function closeAllEditors(): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
