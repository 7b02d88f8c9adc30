// Markdown to HTML for the panels, rendered in the extension host: raw HTML in the source is
// escaped (html: false), images become plain links (nothing loads from the network), and links
// keep only http(s) or relative targets; the page asks the host to follow them.
import MarkdownIt from 'markdown-it';

let renderer: ReturnType<typeof MarkdownIt> | undefined;

/** Created on the first render, not at activation (markdown-it is a bundle loaded on first use). */
function md(): ReturnType<typeof MarkdownIt> {
  if (renderer) return renderer;
  const r = new MarkdownIt({ html: false, linkify: false, typographer: false });
  r.disable('image');
  r.validateLink = (url: string): boolean => isSafeHref(url);
  const defaultLinkOpen = r.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  r.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    // The page routes every click through the host (openExternal / open the file); keep the target for it.
    const href = tokens[idx].attrGet('href') ?? '';
    tokens[idx].attrSet('data-href', href);
    tokens[idx].attrSet('title', href);
    return defaultLinkOpen(tokens, idx, options, env, self);
  };
  return (renderer = r);
}

/** http(s) URLs and relative paths (with optional #fragment); no other scheme (javascript:, command:, file:, data:). */
export function isSafeHref(href: string): boolean {
  const h = href.trim();
  if (/^https?:\/\//i.test(h)) return true;
  if (/^[a-z][a-z0-9+.-]*:/i.test(h) || h.startsWith('//') || h.startsWith('\\\\')) return false;
  return true;
}

export function renderMarkdown(text: string): string {
  return md().render(text);
}

export function renderInline(text: string): string {
  return md().renderInline(text);
}
