// Learning dashboard (browser side): progress over time, estimated vs actual time per phase,
// success-metric completion, lab activity per week, and stories with the operations that served
// them. Each chart is an SVG (charts.ts, theme colours through CSS classes) followed by a table of
// the same numbers, so a screen reader gets everything the chart shows.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  isDashboardViewState, isValidDashboardToHost, isValidDashboardToWebview,
  type DashboardState, type DashboardToHost, type DashboardToWebview, type DashboardViewState, type DurationView, type StoryLinkView,
} from '../src/protocol/dashboard';
import { barChart, lineChart, percentBars, type TimeSeries } from '../src/views/dashboard/charts';
import { h, Host, icon, noticeBar } from './host';
import { t } from './l10n';

const app = document.getElementById('app')!;
const view: DashboardViewState = { scrollY: 0 };
let state: DashboardState | undefined;
let lastState = '';

const host = new Host<DashboardToHost, DashboardToWebview>(isValidDashboardToWebview, (m) => {
  if (m.type === 'state') {
    const json = JSON.stringify(m.payload);
    if (json === lastState) return;
    lastState = json;
    state = m.payload;
    render();
  } else if (m.type === 'notice') {
    noticeBar(notices, m.payload.level, m.payload.message);
  }
});

function send<K extends keyof DashboardToHost & string>(type: K, payload: DashboardToHost[K]): void {
  const v = isValidDashboardToHost({ type, payload });
  if (!v.ok) return void console.error(`homelab: not sending an invalid message: ${v.reason}`);
  host.send(type, payload);
}

const saved = host.getState();
if (isDashboardViewState(saved)) Object.assign(view, saved);
window.addEventListener('scroll', () => {
  clearTimeout((window as { persistT?: number }).persistT);
  (window as { persistT?: number }).persistT = window.setTimeout(() => { view.scrollY = Math.round(window.scrollY); host.setState(view); }, 200);
});

const notices = h('div', { class: 'notices', 'aria-live': 'polite' });

/** The chart markup is built by charts.ts from numbers, with every text escaped there. */
function svg(markup: string): HTMLElement {
  const wrap = h('div', { class: 'chart-wrap' });
  wrap.innerHTML = markup;
  return wrap;
}

function table(caption: string, head: string[], rows: Array<Array<string | number | Node>>): HTMLElement {
  const tb = h('table', { class: 'numbers' }, h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, ...head.map((x) => h('th', { scope: 'col' }, x)))));
  const body = h('tbody');
  for (const r of rows) body.append(h('tr', {}, ...r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c instanceof Node ? c : String(c)) : h('td', { class: typeof c === 'number' ? 'num' : undefined }, c instanceof Node ? c : String(c))))));
  tb.append(body);
  // Open by default: the numbers are part of the page, not an afterthought.
  return h('details', { class: 'numbers-wrap', open: true }, h('summary', {}, t('Numbers')), tb);
}

function openLink(key: string, line: number, text: string): HTMLElement {
  const a = h('a', { href: '#', class: 'link' }, text);
  a.addEventListener('click', (e) => { e.preventDefault(); send('open', { key, line }); });
  return a;
}

function hours(ms: number): string {
  const hrs = ms / 3_600_000;
  return hrs >= 10 ? `${Math.round(hrs)} h` : `${Math.round(hrs * 10) / 10} h`;
}

function durationText(d: DurationView): string {
  if (d.minHours === undefined || d.maxHours === undefined) return t('{0} (not a duration Homelab can count)', d.text);
  const r = (n: number): string => String(Math.round(n * 10) / 10);
  const v = d.minHours === d.maxHours ? `${d.approximate ? '~' : ''}${r(d.minHours)} h` : `${r(d.minHours)}–${r(d.maxHours)} h`;
  return `${v} (${d.label}: “${d.text}”)`;
}

const mid = (ds: DurationView[]): number => {
  const c = ds.filter((d) => d.minHours !== undefined && d.maxHours !== undefined);
  return c.length ? (c[0].minHours! + c[0].maxHours!) / 2 : 0;
};

function card(id: string, title: string, ...children: Array<Node | false | undefined>): HTMLElement {
  return h('section', { class: 'card', id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...children);
}

function progressCard(s: DashboardState): HTMLElement {
  const hist = s.history;
  if (!hist.available) return card('progress', t('Progress over time'), h('p', { class: 'why' }, icon('info'), ' ', hist.reason ?? t('No history.')));
  const pct = (c: { done: number; total: number }): number => (c.total ? Math.round((c.done * 100) / c.total) : 0);
  const series: TimeSeries[] = [{ name: t('Overall'), points: hist.points.map((p) => ({ t: Date.parse(p.date), y: pct(p.overall) })) }];
  for (const e of hist.epics.slice(0, 7)) {
    series.push({ name: e.title, points: hist.points.filter((p) => p.epics[e.key]).map((p) => ({ t: Date.parse(p.date), y: pct(p.epics[e.key]) })) });
  }
  const last = hist.points[hist.points.length - 1];
  const rows = last ? [[t('Overall'), last.overall.done, last.overall.inProgress, last.overall.total, `${pct(last.overall)}%`] as Array<string | number>,
    ...hist.epics.map((e) => { const c = last.epics[e.key] ?? { done: 0, inProgress: 0, total: 0 }; return [e.title, c.done, c.inProgress, c.total, `${pct(c)}%`]; })] : [];
  const timeline = hist.points.slice(-50).map((p) => [p.date.slice(0, 10), p.subject, p.overall.done, p.overall.total, `${pct(p.overall)}%`] as Array<string | number>);
  return card('progress', t('Progress over time'),
    h('p', { class: 'why' }, t('Stories done, per epic and overall, at each of {0} commits that changed a tracker file.', hist.points.length)),
    svg(lineChart(t('Stories done (%) per epic and overall over time'), series, { yMax: 100, unit: '%', emptyText: t('No commit changed a tracker file yet.') })),
    table(t('Stories per epic at the latest commit'), [t('Epic'), t('Done'), t('In progress'), t('Stories'), t('Done %')], rows),
    table(t('Progress at each commit (latest 50)'), [t('Date'), t('Commit'), t('Done'), t('Stories'), t('Done %')], timeline),
  );
}

function phasesCard(s: DashboardState): HTMLElement {
  if (!s.phases.length) return card('phases', t('Estimated vs actual time per phase'), h('p', { class: 'why' }, t('The journal README has no phases (headings like "Phase 1: …").')));
  const cats = s.phases.map((p) => t('Phase {0}', p.number));
  const est = s.phases.map((p) => mid(p.estimates));
  const act = s.phases.map((p) => mid(p.actuals) || p.operationMs / 3_600_000);
  const ranges = [s.phases.map((p) => { const d = p.estimates.find((x) => x.minHours !== undefined); return d ? [d.minHours!, d.maxHours!] as [number, number] : undefined; }),
    s.phases.map((p) => { const d = p.actuals.find((x) => x.minHours !== undefined); return d ? [d.minHours!, d.maxHours!] as [number, number] : undefined; })];
  const rows = s.phases.map((p) => {
    const exp = h('vscode-button', { secondary: true, title: t('Export an evidence report for phase {0}', p.number) }, t('Export'));
    exp.addEventListener('click', () => send('export', { phase: p.number }));
    return [t('Phase {0}: {1}', p.number, p.name), p.status,
      p.estimates.map(durationText).join('; ') || '—',
      p.actuals.map(durationText).join('; ') || '—',
      p.operations ? t('{0} operations, {1}', p.operations, hours(p.operationMs)) : '—',
      p.from || p.to ? `${p.from ?? '…'} – ${p.to ?? '…'}` : '—',
      p.stories.join(', ') || '—', exp] as Array<string | number | Node>;
  });
  return card('phases', t('Estimated vs actual time per phase'),
    h('p', { class: 'why' }, t('Estimates and actuals as the journal states them (a range is shown as its middle with a whisker); without a stated actual, the time of the phase\'s logged operations.')),
    svg(barChart(t('Estimated vs actual hours per phase'), cats, [{ name: t('Estimated'), values: est }, { name: t('Actual'), values: act }], { unit: ' h', ranges })),
    table(t('Time per phase'), [t('Phase'), t('Status'), t('Estimated'), t('Actual'), t('Logged operations'), t('Dates'), t('Stories'), ''], rows),
  );
}

function metricsCard(s: DashboardState): HTMLElement {
  const rows = [
    ...s.metrics.map((m) => ({ label: `${m.label}: ${m.title}`, percent: m.percent, detail: m.checkable ? `(${m.checked}/${m.checkable})` : t('(no tick boxes)') })),
    ...s.checklists.filter((c) => !s.metrics.some((m) => m.key === c.key && m.groups.some((g) => g.line === c.line)))
      .map((c) => ({ label: `${c.label}: ${c.title}`, percent: c.percent, detail: `(${c.checked}/${c.total})` })),
  ];
  const body: Node[] = [svg(percentBars(t('Checklist completion per success-metric section'), rows, { emptyText: t('No "Success Metrics" section or checklist found.') }))];
  body.push(table(t('Checklist completion'), [t('Section'), t('Done %'), t('Checked')], rows.map((r) => [r.label, `${r.percent}%`, r.detail])));
  for (const m of s.metrics) {
    const box = h('div', { class: 'metric' }, h('h3', {}, openLink(m.key, m.line, `${m.label}: ${m.title}`)));
    for (const g of m.groups) {
      if (g.title) box.append(h('h4', {}, g.title, g.checkable ? ` (${g.checked}/${g.checkable})` : ''));
      const ul = h('ul', { class: 'metric-items' });
      for (const i of g.items) {
        const mark = i.kind === 'check' ? icon(i.checked ? 'pass-filled' : 'circle-large-outline', i.checked ? t('met') : t('open')) : i.kind === 'bullet' ? icon('dash') : icon('note');
        ul.append(h('li', { class: i.kind }, mark, ' ', i.text));
      }
      box.append(ul);
    }
    body.push(box);
  }
  for (const st of s.statements.filter((x) => /bottom line/i.test(x.label))) body.push(h('p', {}, h('strong', {}, `${st.label}: `), st.text));
  return card('metrics', t('Success metrics'), ...body);
}

function activityCard(s: DashboardState): HTMLElement {
  const weeks = s.weeks.slice(-26);
  const cats = weeks.map((w) => w.week.slice(5));
  const unread = s.activity.unreadLines.length
    ? h('p', { class: 'why' }, icon('warning'), ' ', t('{0} line(s) of the activity log are not entries (edited by hand?): ', s.activity.unreadLines.length),
      ...s.activity.unreadLines.slice(0, 10).flatMap((l, i) => [i ? ', ' : '', s.activity.key ? openLink(s.activity.key, l, String(l)) : String(l)]))
    : undefined;
  if (!s.activity.key) return card('activity', t('Lab activity per week'), h('p', { class: 'why' }, t('No activity log yet (journal/activity.md): long operations add a line there.')));
  return card('activity', t('Lab activity per week'),
    h('p', { class: 'why' }, t('{0} operations, {1} in total.', s.activity.entries, hours(s.activity.durationMs))),
    svg(barChart(t('Operations per week by outcome'), cats, [
      { name: t('ok'), values: weeks.map((w) => w.ok), tone: 1 }, { name: t('failed'), values: weeks.map((w) => w.failed), tone: 2 },
      { name: t('cancelled'), values: weeks.map((w) => w.cancelled), tone: 3 }, { name: t('other'), values: weeks.map((w) => w.operations - w.ok - w.failed - w.cancelled), tone: 0 },
    ], { stacked: true, emptyText: t('No operations logged.') })),
    unread,
    table(t('Operations per week'), [t('Week of'), t('Operations'), t('ok'), t('failed'), t('cancelled'), t('Time')], weeks.map((w) => [w.week, w.operations, w.ok, w.failed, w.cancelled, hours(w.durationMs)])),
  );
}

function storiesCard(s: DashboardState): HTMLElement {
  const linked = s.stories.filter((x) => x.operations.length);
  const row = (st: StoryLinkView): Array<string | number | Node> => {
    const ops = st.operations.length
      ? h('details', {}, h('summary', {}, t('{0} operations', st.operations.length)),
        h('ul', {}, ...st.operations.map((o) => h('li', {}, `${o.when.slice(0, 16).replace('T', ' ')} · ${o.result} · ${o.what}`))))
      : '—';
    const link = st.id && s.activity.key ? h('vscode-button', { secondary: true, title: t('Link a logged operation to story {0}', st.id) }, t('Link…')) : '';
    if (link) link.addEventListener('click', () => send('link', { storyId: st.id }));
    return [openLink(st.key, st.line, st.id || st.text), st.text, st.epic, st.status, ops, st.timeMs ? hours(st.timeMs) : '—', link];
  };
  return card('stories', t('Stories and the operations that served them'),
    h('p', { class: 'why' }, t('An activity entry that names a story ("story 0.1.3"), or that you link here, is counted for it. {0} of {1} stories have operations.', linked.length, s.stories.length)),
    table(t('Stories'), [t('Story'), t('Text'), t('Epic'), t('Status'), t('Operations'), t('Time spent'), ''], s.stories.map(row)),
  );
}

function render(): void {
  if (!state) return;
  app.setAttribute('aria-busy', 'false');
  const refresh = h('vscode-button', { icon: 'refresh', secondary: true, title: t('Read the files and the history again') }, t('Refresh'));
  refresh.addEventListener('click', () => send('refresh', {}));
  const exp = h('vscode-button', { icon: 'export', title: t('Export a phase or a date range as an evidence report') }, t('Export report…'));
  exp.addEventListener('click', () => send('export', {}));
  const top = h('header', { class: 'top' }, h('div', { class: 'top-title' }, h('h1', {}, icon('graph'), ' ', t('Learning Dashboard')), h('div', { class: 'actions' }, exp, refresh)));
  const problems = state.problems.map((p) => h('div', { class: 'notice notice-warning', role: 'status' }, icon('warning'), h('span', { class: 'notice-text' }, p)));
  app.replaceChildren(top, notices, ...problems, progressCard(state), phasesCard(state), metricsCard(state), activityCard(state), storiesCard(state));
  if (view.scrollY) { window.scrollTo(0, view.scrollY); view.scrollY = 0; }
}

send('ready', {});
