// summary.md as GitHub shows it: a GFM renderer with GitHub's alerts (marked, marked-alert)
// and Mermaid, in headless Chromium from Debian. The diagram must parse and draw with its
// nodes coloured by verdict, and the headline must be in the caution alert. summary.txt
// (inspect --text) must read as plain text.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { marked } from 'marked';
import markedAlert from 'marked-alert';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newHome, runCli } from '../harness/cli.ts';
import { have } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';
import { FIXTURES, ROOT } from '../helpers.ts';

const CASE = path.join(FIXTURES, 'corpus', 'here-l2-kvm-in-l1-tcg');
const browser = ['chromium', 'chromium-browser'].find(have);

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** GitHub turns a mermaid fence into a diagram; everything else is GFM. Mermaid runs in the
 * page from its dist file (so knip.json lists it as used). */
function githubLikeHtml(markdown: string): string {
  const renderer = new marked.Renderer();
  const plainCode = renderer.code.bind(renderer);
  renderer.code = (token) =>
    token.lang === 'mermaid' ? `<pre class="mermaid">${escapeHtml(token.text)}</pre>` : plainCode(token);
  const body = marked.use({ gfm: true }, markedAlert(), { renderer }).parse(markdown) as string;
  const mermaidJs = `file://${path.join(ROOT, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js')}`;
  return `<!doctype html><html><head><meta charset="utf-8"><script src="${mermaidJs}"></script></head><body>
${body}
<div id="result">pending</div>
<script>
mermaid.initialize({ startOnLoad: false });
const out = document.getElementById('result');
(async () => {
  try {
    for (const el of document.querySelectorAll('pre.mermaid')) await mermaid.parse(el.textContent);
    await mermaid.run({ querySelector: 'pre.mermaid' });
    out.textContent = 'parsed';
  } catch (e) {
    out.textContent = 'error: ' + e.message;
  }
})();
</script></body></html>`;
}

function renderInBrowser(html: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nb-render-test-'));
  const page = path.join(dir, 'summary.html');
  writeFileSync(page, html);
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--allow-file-access-from-files',
    '--virtual-time-budget=20000',
  ];
  const r = spawnSync(browser!, [...flags, '--dump-dom', `file://${page}`], { encoding: 'utf8', timeout: 90000 });
  if (r.status !== 0) throw new Error(`${browser} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  spawnSync('rm', ['-rf', dir]);
  return r.stdout;
}

if (!browser) {
  skipTest('integration/summary-render', 'needs chromium (Debian package)');
} else {
  test('summary.md in a browser: the diagram parses and draws coloured by verdict, the headline is a caution alert', async () => {
    const r = await runCli(['inspect', CASE, '--summary'], { home: newHome() });
    assert.is(r.code, 4, r.stderr);
    const dom = renderInBrowser(githubLikeHtml(r.stdout));
    assert.match(dom, /id="result">parsed</, /id="result">[^<]*/.exec(dom)?.[0]);
    assert.match(dom, /<svg[^>]*id="mermaid/);
    // Nodes carry the verdict classes of the classDef lines.
    assert.match(dom, /class="node (?:default )?bad[^"]*"[^>]*id="[^"]*L1/);
    assert.match(dom, /class="node (?:default )?ok[^"]*"[^>]*id="[^"]*L2/);
    const alert = /<div class="markdown-alert markdown-alert-caution">([\s\S]*?)<\/div>/.exec(dom);
    assert.ok(alert, 'a caution alert');
    assert.match(alert![1], /L1 runs in QEMU's software emulation \(TCG\), not on KVM/);
    // One level table: L0 | L1 | L2 side by side.
    assert.match(dom, /<th><\/th>\s*<th>L0<\/th>\s*<th>L1<\/th>\s*<th>L2<\/th>/);
  });
}

test('summary.txt: plain text, 80 columns, the chain on one line, the same findings', async () => {
  const home = newHome();
  const text = await runCli(['inspect', CASE, '--text'], { home });
  const md = await runCli(['inspect', CASE, '--summary'], { home });
  assert.is(text.code, 4, text.stderr);
  const lines = text.stdout.split('\n');
  for (const line of lines) if (!line.startsWith('Chain: ')) assert.ok(line.length <= 80, `longer than 80: ${line}`);
  assert.is(lines.filter((l) => l.startsWith('Chain: ')).length, 1);
  assert.match(text.stdout, /^Chain: L0 \(unknown\) -> L1 \(TCG, QEMU emulation, no KVM\) -> L2 \(KVM\)$/m);
  assert.not.match(text.stdout, /<br>|&lt;|&amp;|\*\*|```|^\|.*\|$|^> |\[!CAUTION\]/m);
  assert.match(lines[0], /^L1 runs in QEMU's software emulation/);
  // The same checks as summary.md.
  const json = await runCli(['inspect', CASE, '--json'], { home });
  const titles = (JSON.parse(json.stdout) as { checks: Array<{ title: string }> }).checks.map((c) => c.title);
  assert.ok(titles.length >= 5);
  for (const title of titles) assert.ok(md.stdout.includes(title) && text.stdout.includes(title), title);
});

test.run();
