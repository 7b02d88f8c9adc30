// Bench: learning tracker of 200 epics / 5,000 stories. Goals: model ready < 100 ms, a toggle
// written (read, validate, edit, atomic write) < 50 ms. Prints figures, then JSON on the last line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { scan } from '../src/providers/markdown/scan';
import { parseTracker, trackerFromScan } from '../src/providers/markdown/tracker';
import { checklistEdit, storyStatusEdit } from '../src/providers/markdown/edit';
import { editFile, nodeFileStore, readVersioned } from '../src/providers/markdown/store';

const EPICS = 200;
const STORIES_PER_EPIC = 25;
const RUNS = 15;
const WARMUP = 3; // JIT warm-up runs, not counted (the cold first run is reported separately)

function generate(): Buffer {
  const out: string[] = ['# ‚öôÔ∏è Phase 9: Generated tracker üê≥', '', '> üìå Bench file.', ''];
  for (let e = 1; e <= EPICS; e++) {
    out.push('---', '', `### üîπ Epic 9.${e}: Generated epic number ${e} üê≥`, '');
    const withStatus = e % 2 === 0;
    out.push(`| #       | **User Story**                         | **Goal**                         | **Primary Tools**     | **Target Outcome**                 |${withStatus ? ' **Status** |' : ''}`);
    out.push(`| ------- | -------------------------------------- | -------------------------------- | --------------------- | ---------------------------------- |${withStatus ? ' ---------- |' : ''}`);
    for (let s = 1; s <= STORIES_PER_EPIC; s++) {
      const status = withStatus ? ` ${['✅ Done    ', '🔄 WIP     ', '          '][s % 3]} |` : '';
      out.push(`| 9.${e}.${s} | Story ${s} of epic ${e} with some words     | Make the lab do thing ${s}         | Proxmox, NixOS        | Outcome ${s} is measurable           |${status}`);
    }
    out.push('', `- [ ] Review epic ${e}`, `  - [x] Sub task ${e}.a`, `  - [ ] Sub task ${e}.b`, '');
  }
  return Buffer.from(out.join('\n'));
}

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const bytes = generate();
  const dir = mkdtempSync(path.join(tmpdir(), 'homelab-bench-'));
  const file = path.join(dir, 'tracker.md');
  const store = nodeFileStore();
  try {
    writeFileSync(file, bytes);
    const scanMs: number[] = [];
    const modelMs: number[] = [];
    const readyMs: number[] = [];
    const jsonMs: number[] = [];
    let stories = 0;
    let coldReadyMs = 0;
    for (let r = 0; r < RUNS + WARMUP; r++) {
      const t0 = performance.now();
      const sc = scan(bytes);
      const t1 = performance.now();
      const model = trackerFromScan(sc, file);
      const t2 = performance.now();
      JSON.stringify(model);
      const t3 = performance.now();
      const ready0 = performance.now();
      const { bytes: disk } = await readVersioned(store, file);
      parseTracker(disk, file);
      const ready1 = performance.now();
      stories = model.progress.storiesTotal;
      if (r === 0) coldReadyMs = ready1 - ready0;
      if (r < WARMUP) continue;
      scanMs.push(t1 - t0);
      modelMs.push(t2 - t1);
      jsonMs.push(t3 - t2);
      readyMs.push(ready1 - ready0);
    }
    if (stories !== EPICS * STORIES_PER_EPIC) throw new Error(`expected ${EPICS * STORIES_PER_EPIC} stories, parsed ${stories}`);

    const toggleMs: number[] = [];
    const statusMs: number[] = [];
    for (let r = 0; r < RUNS + WARMUP; r++) {
      const { bytes: cur, version } = await readVersioned(store, file);
      const model = parseTracker(cur, file);
      const sec = model.sections[(r * 37) % model.sections.length];
      const item = sec.checklist[0];
      const t0 = performance.now();
      const res = await editFile(store, file, version, checklistEdit(item.locator, !item.checked));
      const t1 = performance.now();
      if (res.outcome !== 'applied') throw new Error(`toggle outcome ${res.outcome}`);
      const story = sec.tables[0].stories[r % STORIES_PER_EPIC];
      const t2 = performance.now();
      const res2 = await editFile(store, file, res.version, storyStatusEdit(story.locator, story.status === 'done' ? 'todo' : 'done'));
      const t3 = performance.now();
      if (res2.outcome !== 'applied') throw new Error(`status outcome ${res2.outcome}`);
      if (r < WARMUP) continue;
      toggleMs.push(t1 - t0);
      statusMs.push(t3 - t2);
    }
    const result = {
      bench: 'tracker',
      epics: EPICS,
      stories,
      bytes: bytes.length,
      runs: RUNS,
      scanMs: +median(scanMs).toFixed(2),
      renderModelMs: +median(modelMs).toFixed(2),
      modelJsonMs: +median(jsonMs).toFixed(2),
      modelReadyMs: +median(readyMs).toFixed(2),
      modelReadyP90Ms: +p90(readyMs).toFixed(2),
      coldModelReadyMs: +coldReadyMs.toFixed(2),
      toggleWriteMs: +median(toggleMs).toFixed(2),
      toggleWriteP90Ms: +p90(toggleMs).toFixed(2),
      statusWriteMs: +median(statusMs).toFixed(2),
      goals: { modelReadyMs: 100, toggleWriteMs: 50 },
      pass: median(readyMs) < 100 && median(toggleMs) < 50,
    };
    console.log(`tracker: ${EPICS} epics, ${stories} stories, ${(bytes.length / 1024).toFixed(0)} KiB, median of ${RUNS} runs after ${WARMUP} warm-up, load avg ${loadavg()[0].toFixed(2)} on ${cpus().length} cores`);
    console.log(`  scan (lines, decode, headings)     ${result.scanMs} ms`);
    console.log(`  render model (tables, progress)    ${result.renderModelMs} ms`);
    console.log(`  model to JSON (webview payload)    ${result.modelJsonMs} ms`);
    console.log(`  model ready (read file + parse)    ${result.modelReadyMs} ms (p90 ${result.modelReadyP90Ms}, cold first run ${result.coldModelReadyMs})   goal < 100 ms`);
    console.log(`  toggle written (editFile, atomic)  ${result.toggleWriteMs} ms (p90 ${result.toggleWriteP90Ms})   goal < 50 ms`);
    console.log(`  status set written (editFile)      ${result.statusWriteMs} ms`);
    console.log(JSON.stringify(result));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
