// The dashboard's charts as SVG markup, built with d3-scale and d3-shape (pure functions: no DOM,
// no inline styles, no eval), so the same code draws in the webview under its strict CSP and in
// the exported HTML report. Colours are never written here: every mark carries a class
// (`series-N`, `axis`, `grid`) that the stylesheet maps to the theme's --vscode-charts-* variables.
// No vscode or Node import: bundled into the webview too.
import { scaleBand, scaleLinear, scaleUtc } from 'd3-scale';
import { line as d3line } from 'd3-shape';

/** `tone`: the colour slot (series-N class) when it carries meaning, e.g. ok green, failed red. */
export interface Series { name: string; values: number[]; tone?: number }
export interface TimeSeries { name: string; points: Array<{ t: number; y: number }> }

const W = 640;
const H = 240;
const M = { top: 16, right: 44, bottom: 36, left: 44 };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (n: number): string => (Math.abs(n) >= 10 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1));

const PER_ROW = 4;

function frame(title: string, body: string, legend: string[], tones: number[] = legend.map((_, i) => i)): string {
  // Legend under the plot, four to a row; the picture grows by a row when there are more series.
  const extra = Math.max(0, Math.ceil(legend.length / PER_ROW) - 1) * 16;
  const items = legend.map((name, i) =>
    `<g transform="translate(${M.left + (i % PER_ROW) * 150},${H - 8 + Math.floor(i / PER_ROW) * 16})"><rect class="series-${tones[i]} mark" width="10" height="10" y="-9"></rect><text class="legend" x="14">${esc(name.length > 20 ? `${name.slice(0, 19)}…` : name)}</text></g>`).join('');
  // role=img + aria-label: a screen reader announces the chart; the table beside it has the numbers.
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H + extra}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${body}${items}</svg>`;
}

function yAxis(y: (v: number) => number, ticks: number[], unit: string): string {
  return ticks.map((t) => `<g class="tick"><line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}"></line><text class="axis" x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${esc(fmt(t))}${unit}</text></g>`).join('');
}

function empty(title: string, message: string): string {
  return frame(title, `<text class="axis empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">${esc(message)}</text>`, []);
}

/** Lines over time (progress per epic and overall). `yMax` fixes the scale (100 for percent). */
export function lineChart(title: string, series: TimeSeries[], opts: { yMax?: number; unit?: string; emptyText?: string } = {}): string {
  const all = series.flatMap((s) => s.points);
  if (!all.length) return empty(title, opts.emptyText ?? 'No data');
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  const x = scaleUtc().domain([new Date(t0), new Date(t1 === t0 ? t0 + 86_400_000 : t1)]).range([M.left, W - M.right]);
  const y = scaleLinear().domain([0, opts.yMax ?? Math.max(1, ...all.map((p) => p.y))]).nice().range([H - M.bottom, M.top]);
  const xt = x.ticks(5).map((d) => `<text class="axis" x="${x(d)}" y="${H - M.bottom + 14}" text-anchor="middle">${d.toISOString().slice(0, 10)}</text>`).join('');
  const path = d3line<{ t: number; y: number }>().x((p) => x(new Date(p.t))).y((p) => y(p.y));
  const lines = series.map((s, i) => {
    // Steps, not slopes: a status holds until the next commit changes it.
    const stepped: Array<{ t: number; y: number }> = [];
    s.points.forEach((p, k) => { if (k > 0) stepped.push({ t: p.t, y: s.points[k - 1].y }); stepped.push(p); });
    const last = s.points[s.points.length - 1];
    return `<path class="series-${i} line" d="${path(stepped) ?? ''}"></path>${last ? `<circle class="series-${i} mark" cx="${x(new Date(last.t))}" cy="${y(last.y)}" r="3"></circle>` : ''}`;
  }).join('');
  return frame(title, yAxis(y, y.ticks(5), opts.unit ?? '') + xt + lines, series.map((s) => s.name));
}

/** Grouped bars per category (estimated vs actual hours per phase); `ranges` draws min–max whiskers. */
export function barChart(title: string, categories: string[], series: Series[], opts: { unit?: string; ranges?: Array<Array<[number, number] | undefined>>; emptyText?: string; stacked?: boolean } = {}): string {
  if (!categories.length || !series.length) return empty(title, opts.emptyText ?? 'No data');
  const totals = categories.map((_, c) => (opts.stacked ? series.reduce((n, s) => n + (s.values[c] ?? 0), 0) : Math.max(...series.map((s) => s.values[c] ?? 0))));
  const maxR = Math.max(0, ...(opts.ranges ?? []).flat().map((r) => r?.[1] ?? 0));
  const y = scaleLinear().domain([0, Math.max(1, ...totals, maxR)]).nice().range([H - M.bottom, M.top]);
  const x = scaleBand().domain(categories.map((_, i) => String(i))).range([M.left, W - M.right]).padding(0.25);
  const inner = scaleBand().domain(series.map((_, i) => String(i))).range([0, x.bandwidth()]).padding(0.1);
  let body = yAxis(y, y.ticks(5), opts.unit ?? '');
  categories.forEach((c, ci) => {
    const x0 = x(String(ci)) ?? 0;
    body += `<text class="axis" x="${x0 + x.bandwidth() / 2}" y="${H - M.bottom + 14}" text-anchor="middle">${esc(c.length > 16 ? `${c.slice(0, 15)}…` : c)}</text>`;
    let stack = 0;
    series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const bx = opts.stacked ? x0 : x0 + (inner(String(si)) ?? 0);
      const bw = opts.stacked ? x.bandwidth() : inner.bandwidth();
      const top = y(stack + v);
      const h = Math.max(0, y(stack) - top);
      if (v > 0) body += `<rect class="series-${s.tone ?? si} mark" x="${bx}" y="${top}" width="${bw}" height="${h}"><title>${esc(`${c} · ${s.name}: ${fmt(v)}${opts.unit ?? ''}`)}</title></rect>`;
      const r = opts.ranges?.[si]?.[ci];
      if (r && r[1] > r[0]) {
        const cx = bx + bw / 2;
        body += `<path class="whisker" d="M${cx},${y(r[0])}V${y(r[1])}M${cx - 5},${y(r[0])}H${cx + 5}M${cx - 5},${y(r[1])}H${cx + 5}"></path>`;
      }
      if (opts.stacked) stack += v;
    });
  });
  return frame(title, body, series.map((s) => s.name), series.map((s, i) => s.tone ?? i));
}

/** Horizontal percent bars (checklist completion per success-metric section). */
export function percentBars(title: string, rows: Array<{ label: string; percent: number; detail: string }>, opts: { emptyText?: string } = {}): string {
  if (!rows.length) return empty(title, opts.emptyText ?? 'No data');
  const rowH = 26;
  const h = M.top + rows.length * rowH + 24;
  const x = scaleLinear().domain([0, 100]).range([220, W - 140]);
  const body = rows.map((r, i) => {
    const yy = M.top + i * rowH;
    const p = Math.max(0, Math.min(100, r.percent));
    return `<g><text class="axis" x="214" y="${yy + 15}" text-anchor="end">${esc(r.label.length > 34 ? `${r.label.slice(0, 33)}…` : r.label)}</text>`
      + `<rect class="track" x="${x(0)}" y="${yy + 4}" width="${x(100) - x(0)}" height="14"></rect>`
      + `<rect class="series-${p >= 100 ? 1 : 0} mark" x="${x(0)}" y="${yy + 4}" width="${x(p) - x(0)}" height="14"></rect>`
      + `<text class="axis" x="${x(100) + 6}" y="${yy + 15}">${esc(`${Math.round(p)}% ${r.detail}`)}</text></g>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${body}</svg>`;
}
