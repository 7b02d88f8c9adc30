// Our Pseudoterminals write nothing until VS Code has opened the terminal and told its size, so the
// first line is laid out for the real width (issue 19: the first line was cut).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import { TaskTerminal } from '../../src/views/terminals/task-terminal';
import { waitFor } from './ops-util';
import { activateHomelab } from './util';

/** A task terminal that records the size known at each write VS Code receives. */
class Probe extends TaskTerminal {
  readonly writes: { text: string; columns?: number }[] = [];
  constructor(name: string) {
    super(name);
    this.onDidWrite((text) => this.writes.push({ text, columns: this.dimensions?.columns }));
  }
}

describe('Terminals: output waits for the terminal to be opened and sized', function () {
  this.timeout(30_000);
  let api: HomelabApi;

  before(async () => {
    api = await activateHomelab();
  });

  it('opened without a size: nothing is written until the size arrives, then everything in order', () => {
    const pty = new Probe('probe-no-size');
    try {
      pty.header('first line, long enough that an 80-column layout would wrap it ........................................');
      pty.log(['second']);
      pty.open(undefined);
      assert.equal(pty.writes.length, 0, 'nothing written before the size is known');
      pty.setDimensions({ columns: 140, rows: 40 });
      assert.equal(pty.writes.length, 2);
      assert.match(pty.writes[0].text, /first line/);
      assert.match(pty.writes[1].text, /second/);
      assert.ok(pty.writes.every((w) => w.columns === 140), 'every write knew the width');
      pty.log(['third']);
      assert.equal(pty.writes.length, 3, 'later writes go straight through');
    } finally {
      pty.dispose();
    }
  });

  it('opened with a size: what was buffered is written at once', () => {
    const pty = new Probe('probe-sized');
    try {
      pty.header('header');
      pty.open({ columns: 90, rows: 20 });
      assert.equal(pty.writes.length, 1);
      assert.equal(pty.writes[0].columns, 90);
    } finally {
      pty.dispose();
    }
  });

  it('a size that never comes does not lose the text: it is written after a short wait', async () => {
    const pty = new Probe('probe-never-sized');
    try {
      pty.header('still shown');
      pty.open(undefined);
      assert.equal(pty.writes.length, 0);
      await waitFor('the fallback write', () => pty.writes.length === 1, 5000);
      assert.match(pty.writes[0].text, /still shown/);
    } finally {
      pty.dispose();
    }
  });

  it('a real terminal: the first write VS Code receives already knows the size', async () => {
    const pty = new Probe('Homelab terminal probe');
    const { terminal } = api.operations.terminals.create('task', pty);
    try {
      pty.header('the very first line of a task terminal');
      terminal.show(true);
      await waitFor('the terminal to receive the first write', () => pty.writes.length > 0, 15_000);
      assert.match(pty.writes[0].text, /the very first line/);
      assert.ok(pty.writes[0].columns && pty.writes[0].columns > 0, `columns at the first write: ${pty.writes[0].columns}`);
      assert.ok(api.operations.terminals.open.some((t) => t.terminal === terminal), 'tracked while open');
    } finally {
      terminal.dispose();
    }
    await waitFor('the closed terminal to be forgotten', () => !api.operations.terminals.open.some((t) => t.terminal === terminal), 10_000);
    assert.ok(!vscode.window.terminals.includes(terminal));
  });
});
