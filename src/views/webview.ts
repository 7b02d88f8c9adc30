// What every webview panel host shares: the HTML shell with a strict CSP (nonce'd script, styles
// and fonts only from the extension's dist/webview), local resource roots, and a typed channel that
// validates each incoming message before anything acts on it.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Envelope, MessageOf } from '../protocol/envelope';

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

/** Options for createWebviewPanel and for panels restored by a serializer. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    retainContextWhenHidden: false,
    enableFindWidget: true,
    localResourceRoots: [webviewRoot(extensionUri)],
  };
}

export function nonce(): string {
  return randomBytes(18).toString('base64');
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The page: `<name>.main.js` and `<name>.css` from dist/webview, codicons, nothing else may load. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: string, title: string): string {
  const root = webviewRoot(extensionUri);
  const uri = (...p: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(root, ...p)).toString();
  const n = nonce();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${n}'`,
    // vscode-elements (lit) adopts constructable stylesheets: allowed by style-src without 'unsafe-inline'
    // in Chromium; the inline style attributes we set from script (progress widths) use CSSOM, not markup.
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    // Entries render no images (markdown images become links), so nothing is fetched from the network.
    `img-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${escapeAttr(vscode.env.language || 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('codicons', 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${uri(`${name}.css`)}">
<title>${escapeAttr(title)}</title>
</head>
<body>
<div id="app" role="main" aria-busy="true"${l10nAttr()}></div>
<script type="module" nonce="${n}" src="${uri(`${name}.main.js`)}"></script>
</body>
</html>`;
}

/**
 * The page's translations: the l10n bundle of the UI language as VS Code loaded it for us (none for
 * English), read by webview-ui/l10n.ts. An attribute, not a script, so the CSP stays nonce-only.
 */
function l10nAttr(): string {
  const bundle = vscode.l10n.bundle;
  return bundle ? ` data-l10n="${escapeAttr(JSON.stringify(bundle))}"` : '';
}

export type Validator<M> = (v: unknown) => { ok: true; message: MessageOf<M> } | { ok: false; reason: string };

/**
 * A typed message channel over one webview. Incoming messages that fail validation are dropped
 * and reported through `onInvalid` (logged by the panel host); valid ones go to `handler`.
 */
export class WebviewChannel<In, Out> implements vscode.Disposable {
  private readonly sub: vscode.Disposable;
  /** Every message posted, for extension-host tests (the webview itself is not reachable there). */
  readonly posted: Array<Envelope<string, unknown>> = [];
  private readonly postedEmitter = new vscode.EventEmitter<Envelope<string, unknown>>();
  readonly onDidPost = this.postedEmitter.event;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly validate: Validator<In>,
    private readonly handler: (msg: MessageOf<In>) => Promise<void> | void,
    private readonly onInvalid: (reason: string) => void,
  ) {
    this.sub = webview.onDidReceiveMessage((m: unknown) => void this.receive(m));
  }

  /** Entry point for every message from the page (public so tests can inject raw messages). */
  async receive(raw: unknown): Promise<boolean> {
    const v = this.validate(raw);
    if (!v.ok) {
      this.onInvalid(v.reason);
      return false;
    }
    await this.handler(v.message);
    return true;
  }

  post<K extends keyof Out & string>(type: K, payload: Out[K], id?: number): Thenable<boolean> {
    const msg: Envelope<string, unknown> = id === undefined ? { type, payload } : { type, id, payload };
    this.posted.push(msg);
    if (this.posted.length > 200) this.posted.shift();
    this.postedEmitter.fire(msg);
    return this.webview.postMessage(msg);
  }

  /** Answers request `id` with the response type its descriptor is bound to (src/protocol/*.ts). */
  respond<K extends keyof Out & string>(req: { readonly response: K }, id: number | undefined, result: Out[K]): Thenable<boolean> {
    // Validation refuses a request without an id before it reaches a handler.
    if (id === undefined) throw new Error(`cannot answer "${req.response}" without the request's id`);
    return this.post(req.response, result, id);
  }

  dispose(): void {
    this.sub.dispose();
    this.postedEmitter.dispose();
  }
}

/** What a panel host keeps of one open panel. */
export interface OpenPanel {
  readonly panel: vscode.WebviewPanel;
  readonly onDidDispose: vscode.Event<void>;
  dispose(): void;
}

/**
 * Opens, reveals and restores the one panel of a kind (after a window reload VS Code hands the
 * panel back through the serializer; a malformed saved state is ignored, never trusted).
 */
export class SinglePanelHost<P extends OpenPanel> implements vscode.WebviewPanelSerializer, vscode.Disposable {
  current: P | undefined;

  constructor(
    private readonly o: {
      viewType: string;
      title: () => string;
      extensionUri: vscode.Uri;
      log: vscode.LogOutputChannel;
      create(panel: vscode.WebviewPanel): P;
      isValidState(state: unknown): boolean;
    },
  ) {}

  open(): P {
    if (this.current) {
      this.current.panel.reveal();
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(this.o.viewType, this.o.title(), vscode.ViewColumn.Active, webviewOptions(this.o.extensionUri));
    return this.attach(panel);
  }

  private attach(panel: vscode.WebviewPanel): P {
    const p = this.o.create(panel);
    this.current = p;
    p.onDidDispose(() => {
      if (this.current === p) this.current = undefined;
    });
    return p;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (state !== undefined && state !== null && !this.o.isValidState(state)) this.o.log.warn(`${this.o.viewType}: ignoring malformed saved state`);
    this.current?.dispose();
    this.attach(panel);
  }

  dispose(): void {
    this.current?.panel.dispose();
  }
}
