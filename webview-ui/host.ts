// The browser side of the message protocol: typed send/request to the extension host, and every
// incoming message validated with the same checks the host uses before the page acts on it.
import type { MessageOf, ParamsOf, RequestType, ResultOf } from '../src/protocol/envelope';
import { PendingRequests } from '../src/protocol/pending';
import { t } from './l10n';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export type Validate<M> = (v: unknown) => { ok: true; message: MessageOf<M> } | { ok: false; reason: string };

export class Host<ToHost, ToPage> {
  private readonly api = acquireVsCodeApi();
  private readonly requests = new PendingRequests();

  constructor(validate: Validate<ToPage>, onMessage: (m: MessageOf<ToPage>) => void) {
    window.addEventListener('message', (ev: MessageEvent<unknown>) => {
      const v = validate(ev.data);
      if (!v.ok) {
        console.warn(`homelab: dropped a malformed message from the extension: ${v.reason}`);
        return;
      }
      const m = v.message;
      if (m.id !== undefined && m.type.endsWith('/response')) {
        const r = this.requests.settle(m.type, m.id, m.payload);
        if (!r.ok) console.warn(`homelab: dropped a response: ${r.reason}`);
        return;
      }
      onMessage(m);
    });
  }

  send<K extends keyof ToHost & string>(type: K, payload: ToHost[K]): void {
    this.api.postMessage({ type, payload });
  }

  /**
   * A request bound to its response type (src/protocol/*.ts descriptors); resolves with the response
   * payload (validated on arrival), rejects with RequestTimeoutError after the request's timeout.
   */
  request<R extends RequestType<keyof ToHost & string, unknown, unknown>>(req: R, params: ParamsOf<R>): Promise<ResultOf<R>> {
    return this.requests.start(req, params, (msg) => this.api.postMessage(msg));
  }

  getState(): unknown {
    return this.api.getState();
  }

  setState(state: unknown): void {
    this.api.setState(state);
  }
}

type Child = Node | string | false | null | undefined;

/**
 * A localized sentence with an element in it: `text` is `t('… {0} …', '\u0000')` (translators move
 * the placeholder); returns the parts around the marker with `node` in its place.
 */
export function withNode(text: string, node: Node): Child[] {
  const at = text.indexOf('\u0000');
  return at < 0 ? [text, ' ', node] : [text.slice(0, at), node, text.slice(at + 1)];
}

/** Small element builder: text children become text nodes (never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string | boolean | undefined>, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string | boolean | undefined>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== false && c !== null && c !== undefined) el.append(c);
  return el;
}

/** HTML rendered by the extension host with markdown-it (html: false, links filtered): the one place we use innerHTML. */
export function trusted(el: HTMLElement, html: string): HTMLElement {
  el.innerHTML = html;
  return el;
}

export function icon(name: string, label?: string): HTMLElement {
  const i = h('span', { class: `codicon codicon-${name}`, 'aria-hidden': label ? undefined : 'true', role: label ? 'img' : undefined, 'aria-label': label });
  return i;
}

/** A progress bar with text for screen readers. */
export function progressBar(percent: number, label: string): HTMLElement {
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(percent), 'aria-label': label });
  const fill = h('div', { class: 'progress-fill' });
  // CSSOM, not a style attribute: allowed by the CSP.
  fill.style.width = `${Math.max(0, Math.min(100, percent))}%`;
  if (percent >= 100) fill.classList.add('complete');
  bar.append(fill);
  return bar;
}

export function noticeBar(container: HTMLElement, level: 'info' | 'warning' | 'error', message: string): void {
  container.replaceChildren(
    h('div', { class: `notice notice-${level}`, role: level === 'error' ? 'alert' : 'status' },
      icon(level === 'error' ? 'error' : level === 'warning' ? 'warning' : 'info'),
      h('span', { class: 'notice-text' }, message),
      closeButton(() => container.replaceChildren()),
    ),
  );
}

function closeButton(onClick: () => void): HTMLElement {
  const b = h('button', { class: 'icon-button', title: t('Dismiss'), 'aria-label': t('Dismiss') }, icon('close'));
  b.addEventListener('click', onClick);
  return b;
}

/** Identifies the focused control by its data attributes, so a re-render can give focus back. */
export function focusKey(): string | undefined {
  // A custom element (vscode-checkbox, ...) is the active element while focus is in its shadow root.
  const host = document.activeElement as HTMLElement | null;
  if (!host || host === document.body) return undefined;
  const scope = host.closest<HTMLElement>('[data-key]');
  const line = host.getAttribute('data-line');
  return `${scope?.dataset.key ?? ''}|${host.tagName}|${line ?? host.getAttribute('data-key') ?? host.textContent?.trim().slice(0, 40) ?? ''}`;
}

export function restoreFocus(root: HTMLElement, key: string | undefined): void {
  if (!key) return;
  const [scope, tag, id] = key.split('|');
  const candidates = root.querySelectorAll<HTMLElement>(tag.toLowerCase());
  for (const c of candidates) {
    const s = c.closest<HTMLElement>('[data-key]')?.dataset.key ?? '';
    const cid = c.getAttribute('data-line') ?? c.getAttribute('data-key') ?? c.textContent?.trim().slice(0, 40) ?? '';
    if (s === scope && cid === id) { c.focus({ preventScroll: true }); return; }
  }
}
