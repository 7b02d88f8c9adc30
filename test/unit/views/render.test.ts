import * as assert from 'node:assert/strict';
import { isSafeHref, renderInline, renderMarkdown } from '../../../src/views/markdown-render';
import { repairMojibake } from '../../../src/views/mojibake';

describe('views: markdown rendering for the panels', () => {
  it('escapes raw HTML and drops images', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<b onclick="x()">b</b>\n\n![x](https://t.example/p.png)');
    assert.doesNotMatch(html, /<script|<b |<img/);
    assert.match(html, /&lt;script&gt;/);
  });

  it('keeps only http(s) and relative links, and marks them for the host', () => {
    assert.equal(isSafeHref('https://a.example/x'), true);
    assert.equal(isSafeHref('./phase-1.md#top'), true);
    assert.equal(isSafeHref('../notes/x.md'), true);
    for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', 'command:workbench.action.quit', 'file:///etc/passwd', 'data:text/html,x', 'vscode://x', '//evil.example/x']) {
      assert.equal(isSafeHref(bad), false, bad);
    }
    const html = renderInline('[a](javascript:alert(1)) [b](./b.md) [c](https://c.example)');
    assert.deepEqual([...html.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]), ['./b.md', 'https://c.example']);
    assert.match(html, /data-href="\.\/b\.md"/);
  });
});

describe('views: display repair of double-encoded emoji', () => {
  it('repairs UTF-8 read as Windows-1252 (the journal README)', () => {
    assert.equal(repairMojibake('### âœ… Phase 1'), '### ✅ Phase 1');
    assert.equal(repairMojibake('ðŸš€ Phase 2'), '🚀 Phase 2');
    assert.equal(repairMojibake('â””â”€â”€ README.md'), '└── README.md');
  });

  it('repairs UTF-8 read as MacRoman, including the dropped Apple-logo lead byte (the Phase 0 tracker)', () => {
    assert.equal(repairMojibake('‚öôÔ∏è Phase 0'), '⚙️ Phase 0');
    assert.equal(repairMojibake('üîπ Epic 0.1'), '🔹 Epic 0.1');
    assert.equal(repairMojibake('‚âà 3 hosts'), '≈ 3 hosts');
  });

  it('leaves proper text alone', () => {
    for (const s of ['plain ascii', 'Café crème', 'Straße 50 €', '2–3 weeks — “quoted”', '✅ Done 🚀', 'naïve façade', '']) assert.equal(repairMojibake(s), s);
  });
});
