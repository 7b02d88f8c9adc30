import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { CATALOG } from '../../../src/operations';

const root = join(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8'));

describe('operations catalog and the manifest (run `npx tsx scripts/lm-tools.ts` after a change)', () => {
  it('package.json declares exactly the catalog\'s tools, with its schemas and descriptions', () => {
    const tools = pkg.contributes.languageModelTools as Array<{ name: string; modelDescription: string; inputSchema: unknown; displayName: string; tags: string[] }>;
    assert.deepEqual(tools.map((t) => t.name), CATALOG.map((o) => o.id));
    for (const op of CATALOG) {
      const t = tools.find((x) => x.name === op.id)!;
      assert.equal(t.modelDescription, op.description, op.id);
      assert.deepEqual(t.inputSchema, op.inputSchema, op.id);
      assert.equal(nls[t.displayName.slice(1, -1)], op.title, op.id);
      assert.ok(t.tags.includes(op.effect), op.id);
    }
  });

  it('one tool set holds every tool; the MCP server definition provider is declared', () => {
    assert.deepEqual(pkg.contributes.languageModelToolSets[0].tools, CATALOG.map((o) => o.id));
    assert.equal(pkg.contributes.mcpServerDefinitionProviders[0].id, 'homelab.mcp');
  });

  it('ids are unique tool names VS Code accepts; every schema is valid JSON Schema (strict)', () => {
    const ajv = new Ajv({ strict: true });
    assert.equal(new Set(CATALOG.map((o) => o.id)).size, CATALOG.length);
    for (const op of CATALOG) {
      assert.match(op.id, /^(?!copilot_|vscode_)[a-z][a-z0-9_]+$/);
      assert.doesNotThrow(() => ajv.compile(op.inputSchema), op.id);
      assert.equal(op.inputSchema.additionalProperties, false, `${op.id}: unknown fields are refused`);
      assert.ok(op.description.length >= 40, `${op.id}: a description a model can use`);
    }
  });

  it('covers the issue\'s operations', () => {
    const ids = new Set(CATALOG.map((o) => o.id));
    for (const id of ['proxmox_inventory', 'proxmox_guest_details', 'proxmox_start_guest', 'proxmox_shutdown_guest', 'proxmox_stop_guest', 'proxmox_reboot_guest',
      'proxmox_clone_template', 'proxmox_migrate_guest', 'proxmox_snapshot_create', 'proxmox_snapshot_rollback', 'proxmox_tasks', 'proxmox_task_log',
      'kubernetes_contexts', 'kubernetes_list', 'kubernetes_get', 'kubernetes_scale', 'kubernetes_rollout_restart', 'kubernetes_logs', 'kubernetes_apply_dry_run', 'kubernetes_apply',
      'journal_read', 'journal_new_entry', 'journal_append_activity', 'tracker_read', 'tracker_set_story_status']) assert.ok(ids.has(id), id);
    assert.deepEqual(CATALOG.filter((o) => o.effect === 'destructive').map((o) => o.id).sort(), ['cluster_destroy', 'proxmox_delete_guest', 'proxmox_snapshot_rollback']);
  });
});
