// The evidence report: one phase or a date range as a self-contained markdown file, and the same
// as HTML with the charts inline as SVG (no script, no external resource), ready to share.
// Pure (no vscode): the panel picks the range and the file, this only writes text.
import type { DashboardState, OperationView, PhaseSummary } from '../../protocol/dashboard';
import { activityWeeks } from '../../providers/markdown/dashboard';
import { barChart, esc, lineChart } from './charts';

export interface ReportSelection {
  phase?: PhaseSummary;
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
}

export interface Report { title: string; markdown: string; html: string; fileStem: string }

const inRange = (iso: string, from?: string, to?: string): boolean => {
  const d = iso.slice(0, 10);
  return (!from || d >= from) && (!to || d <= to);
};

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 10 ? `${Math.round(h)} h` : `${Math.round(h * 10) / 10} h`;
}

/** Markdown table cell: one line, pipes escaped. */
const cell = (s: string): string => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

// "Install Argo CD 2.11.3", "deploy cilium v1.15" -> application + version.
const APP_VERSION = /\b(?:install|deploy|upgrade|helm install|apply)\w*\s+([A-Za-z][\w .-]*?)\s+v?(\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?)\b/i;

export function buildReport(state: DashboardState, operations: OperationView[], sel: ReportSelection): Report {
  const from = sel.phase?.from ?? sel.from;
  const to = sel.phase?.to ?? sel.to;
  const title = sel.phase
    ? `Evidence report: Phase ${sel.phase.number}: ${sel.phase.name}`
    : `Evidence report: ${from ?? 'start'} to ${to ?? 'today'}`;
  const fileStem = sel.phase ? `evidence-phase-${sel.phase.number}` : `evidence-${from ?? 'start'}-to-${to ?? 'today'}`;
  // A phase without dates in the journal gets no operations attributed (and the report says so).
  const ranged = !!(from || to);
  const ops = ranged ? operations.filter((o) => inRange(o.when, from, to)) : [];
  const ok = ops.filter((o) => /^ok\b/i.test(o.result));
  const clusters = [...new Set(ok.map((o) => o.cluster).filter((c): c is string => !!c))].sort();
  const templates = [...new Set(ok.filter((o) => /template/i.test(o.what)).map((o) => o.what))];
  const apps = new Map<string, string>();
  for (const o of ok) { const m = APP_VERSION.exec(o.what); if (m) apps.set(m[1].trim(), m[2]); }
  const storyIds = new Set(sel.phase?.stories ?? []);
  for (const s of state.stories) if (s.operations.some((o) => inRange(o.when, from, to)) && ranged) storyIds.add(s.id);
  const stories = state.stories.filter((s) => storyIds.has(s.id));
  const done = stories.filter((s) => s.status === 'done');
  const open = stories.filter((s) => s.status !== 'done');
  const met = state.metrics.flatMap((m) => m.groups.flatMap((g) => g.items.filter((i) => i.kind === 'check' && i.checked).map((i) => ({ m, g, i }))));
  const unmet = state.metrics.flatMap((m) => m.groups.flatMap((g) => g.items.filter((i) => i.kind === 'check' && !i.checked).map((i) => ({ m, g, i }))));
  const opMs = ops.reduce((n, o) => n + (o.durationMs ?? 0), 0);

  const md: string[] = [`# ${title}`, '', `Generated ${state.generatedAt.slice(0, 10)} by Homelab from the journal, the learning tracker${state.history.available ? ' and its git history' : ''}.`, ''];
  md.push(`**Period**: ${from ?? '(not stated)'} to ${to ?? '(not stated)'}  `);
  if (sel.phase) md.push(`**Status**: ${sel.phase.status}  `);
  md.push('', '## Time spent against estimates', '');
  if (sel.phase) {
    for (const e of sel.phase.estimates) md.push(`- Estimated (${e.label}): ${e.text}`);
    for (const a of sel.phase.actuals) md.push(`- Actual (${a.label}): ${a.text}`);
    if (!sel.phase.estimates.length && !sel.phase.actuals.length) md.push('- The journal states no estimate or actual time for this phase.');
  }
  md.push(`- Logged operations: ${ops.length}, ${hours(opMs)} of operation time${ranged ? '' : ' (the phase has no dates in the journal, so no operation is attributed to it)'}`, '');
  md.push('## What was built', '');
  if (clusters.length) md.push(`**Clusters**: ${clusters.map((c) => `\`${c}\``).join(', ')}  `);
  if (templates.length) md.push(`**Templates**: ${templates.map(cell).join('; ')}  `);
  if (apps.size) md.push(`**Applications**: ${[...apps].map(([a, v]) => `${a} ${v}`).join(', ')}  `);
  if (ok.length) {
    md.push('', '| When (UTC) | Operation | Cluster | Target | Duration |', '| --- | --- | --- | --- | --- |');
    for (const o of ok) md.push(`| ${o.when.slice(0, 16).replace('T', ' ')} | ${cell(o.what)} | ${cell(o.cluster ?? '')} | ${cell(o.target ?? '')} | ${o.durationMs !== undefined ? hours(o.durationMs) : ''} |`);
  } else md.push('No successful operation was logged in this period.');
  const failed = ops.length - ok.length;
  if (failed) md.push('', `${failed} operation(s) failed or were cancelled in this period.`);
  md.push('', '## Stories completed', '');
  if (done.length) for (const s of done) md.push(`- ${s.id} ${s.text}${s.timeMs ? ` (${hours(s.timeMs)} of logged operations)` : ''}`);
  else md.push('- None recorded for this period.');
  md.push('', '## Metrics met', '');
  if (met.length) for (const x of met) md.push(`- [x] ${x.i.text} (${x.m.label}${x.g.title ? `, ${x.g.title}` : ''})`);
  else md.push('- No success-metric item is checked yet.');
  md.push('', '## Open items', '');
  for (const s of open) md.push(`- Story ${s.id}: ${s.text} (${s.status})`);
  for (const x of unmet) md.push(`- [ ] ${x.i.text} (${x.m.label}${x.g.title ? `, ${x.g.title}` : ''})`);
  if (!open.length && !unmet.length) md.push('- None.');
  for (const s of state.statements.filter((x) => /bottom line/i.test(x.label))) md.push('', `**${s.label}**: ${s.text}`);
  md.push('');
  const markdown = md.join('\n');

  // HTML: the same sections, plus the charts inline.
  const points = state.history.points.filter((p) => !ranged || inRange(p.date, from, to));
  const pct = (c: { done: number; total: number }): number => (c.total ? Math.round((c.done * 100) / c.total) : 0);
  const progress = lineChart('Stories done (%) over time', [{ name: 'Overall', points: points.map((p) => ({ t: Date.parse(p.date), y: pct(p.overall) })) }], { yMax: 100, unit: '%', emptyText: state.history.available ? 'No tracker change in this period' : state.history.reason ?? 'No history' });
  const weeks = activityWeeks(ops);
  const activity = barChart('Operations per week', weeks.map((w) => w.week.slice(5)), [{ name: 'ok', values: weeks.map((w) => w.ok), tone: 1 }, { name: 'failed', values: weeks.map((w) => w.failed), tone: 2 }, { name: 'cancelled', values: weeks.map((w) => w.cancelled), tone: 3 }], { stacked: true, emptyText: 'No operations in this period' });
  const charts = [progress, activity];
  if (sel.phase) {
    const mid = (d?: { minHours?: number; maxHours?: number }): number => (d?.minHours !== undefined && d.maxHours !== undefined ? (d.minHours + d.maxHours) / 2 : 0);
    charts.push(barChart('Estimated vs actual hours', [`Phase ${sel.phase.number}`], [{ name: 'Estimated', values: [mid(sel.phase.estimates.find((e) => e.minHours !== undefined))] }, { name: 'Actual', values: [mid(sel.phase.actuals.find((e) => e.minHours !== undefined)) || opMs / 3_600_000] }], { unit: ' h' }));
  }
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style></head><body>
<main>
${charts.map((c) => `<figure>${c}</figure>`).join('\n')}
${markdownToHtml(markdown)}
</main></body></html>
`;
  return { title, markdown, html, fileStem };
}

/** The report's own markdown (headings, lists, tables, bold, code) as HTML, every text escaped. */
function markdownToHtml(md: string): string {
  const out: string[] = [];
  const inline = (s: string): string => esc(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`([^`]+)`/g, '<code>$1</code>');
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const hm = /^(#{1,3}) (.*)$/.exec(l);
    if (hm) { out.push(`<h${hm[1].length}>${inline(hm[2])}</h${hm[1].length}>`); continue; }
    if (l.startsWith('- ')) {
      const items: string[] = [];
      while (i < lines.length && lines[i].startsWith('- ')) items.push(lines[i++].slice(2));
      i--;
      out.push(`<ul>${items.map((x) => `<li>${inline(x.replace(/^\[x\] /, '☑ ').replace(/^\[ \] /, '☐ '))}</li>`).join('')}</ul>`);
      continue;
    }
    if (l.startsWith('| ')) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i].startsWith('| ')) rows.push(lines[i++].slice(2, -2).split(/(?<!\\) \| /).map((c) => c.replace(/\\\|/g, '|')));
      i--;
      const [head, , ...body] = rows;
      out.push(`<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
      continue;
    }
    if (l.trim()) out.push(`<p>${inline(l.replace(/ {2}$/, ''))}</p>`);
  }
  return out.join('\n');
}

// Fixed colours (a shared file has no editor theme), light and dark by the reader's preference.
const REPORT_CSS = `
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2328;background:#fff}
table{border-collapse:collapse}td,th{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:left}
figure{margin:1rem 0}.chart{width:100%;max-width:760px;height:auto}
.chart .axis,.chart .legend{fill:#1f2328;font-size:11px}.chart .grid{stroke:#d0d7de}.chart .track{fill:#f6f8fa;stroke:#d0d7de}
.chart .line{fill:none;stroke-width:2}.chart .whisker{stroke:#1f2328;fill:none}
.chart .series-0{fill:#0969da;stroke:#0969da}.chart .series-1{fill:#1a7f37;stroke:#1a7f37}.chart .series-2{fill:#cf222e;stroke:#cf222e}
.chart .series-3{fill:#9a6700;stroke:#9a6700}.chart path.line{fill:none}
@media (prefers-color-scheme: dark){body{color:#e6edf3;background:#0d1117}td,th{border-color:#30363d}
.chart .axis,.chart .legend{fill:#e6edf3}.chart .grid{stroke:#30363d}.chart .whisker{stroke:#e6edf3}
.chart .series-0{fill:#4493f8;stroke:#4493f8}.chart .series-1{fill:#3fb950;stroke:#3fb950}.chart .series-2{fill:#f85149;stroke:#f85149}.chart .series-3{fill:#d29922;stroke:#d29922}.chart path.line{fill:none}}
`;
