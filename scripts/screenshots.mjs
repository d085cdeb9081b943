// The README's screenshots, run by hand (`npm run build && node scripts/screenshots.mjs`), never
// by the suite: builds the browser test's fixture (test/fixtures/page-fixture.ts, bundled here
// with esbuild) at the real clock, then with Debian's chromium through playwright-core
//   docs/status-page.png  the page `heal page` writes for it, and
//   docs/heal-status.png  `heal status` on a terminal (run under script(1), so stdout is a TTY,
//                         with FORCE_COLOR=1; its ANSI colours turned into HTML).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const DOCS = join(ROOT, 'docs');

if (!existsSync(CLI)) {
  process.stderr.write(`screenshots: ${CLI} is missing: run npm run build first\n`);
  process.exit(2);
}

const work = await mkdtemp(join(tmpdir(), 'heal-screenshots-'));
try {
  const bundled = join(work, 'page-fixture.mjs');
  await build({ entryPoints: [join(ROOT, 'test', 'fixtures', 'page-fixture.ts')], outfile: bundled, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  const { buildPageFixture, CHROMIUM_LAUNCH } = await import(pathToFileURL(bundled).href);
  await mkdir(join(work, 'site'));
  const fixture = await buildPageFixture(join(work, 'site'), Date.now());
  const env = { ...process.env, HOME: join(work, 'home'), HEAL_CONFIG: '', HEAL_STATE_DIR: '', FORCE_COLOR: '1', COLUMNS: '160' };

  const page = join(work, 'status.html');
  await run(process.execPath, [CLI, 'page', '--config', fixture.manifest, '--out', page], env);
  const command = [process.execPath, CLI, 'status', '--config', fixture.manifest].map((a) => `'${a}'`).join(' ');
  const status = (await run('/usr/bin/script', ['-qec', command, '/dev/null'], env)).replaceAll('\r', '');
  const terminal = join(work, 'terminal.html');
  await writeFile(terminal, terminalHtml(`$ heal status\n${status}`));

  await mkdir(DOCS, { recursive: true });
  const browser = await chromium.launch(CHROMIUM_LAUNCH);
  try {
    const shot = async (file, out, viewport) => {
      const tab = await (await browser.newContext({ viewport })).newPage();
      await tab.goto(pathToFileURL(file).href, { timeout: 60_000 });
      await tab.screenshot({ path: out, fullPage: true });
    };
    await shot(page, join(DOCS, 'status-page.png'), { width: 900, height: 800 });
    await shot(terminal, join(DOCS, 'heal-status.png'), { width: 1280, height: 200 });
  } finally {
    await browser.close();
  }
  process.stdout.write(`wrote ${join(DOCS, 'status-page.png')} and ${join(DOCS, 'heal-status.png')}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}

/** Runs a program (60 s at most); its stdout, or a one-line failure. */
function run(file, args, env) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr.split('\n')[0] || error.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Terminal text as a page: escaped, ANSI SGR colours and bold turned into spans. The style is
 * kept as a terminal keeps it (a colour until 39 or 0, bold until 22 or 0), and each change closes
 * the span of the style before it.
 */
function terminalHtml(text) {
  const colours = { 30: '#6e7681', 31: '#ff7b72', 32: '#3fb950', 33: '#d29922', 34: '#58a6ff', 35: '#bc8cff', 36: '#39c5cf', 37: '#e6edf3', 90: '#8b949e' };
  let colour = null;
  let bold = false;
  let open = false;
  const body = text
    .replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c])
    .replace(/\x1b\[([\d;]*)m/g, (_m, codes) => {
      for (const code of (codes || '0').split(';').map(Number)) {
        if (code === 0) [colour, bold] = [null, false];
        else if (code === 1) bold = true;
        else if (code === 22) bold = false;
        else if (code === 39) colour = null;
        else if (colours[code]) colour = colours[code];
      }
      const style = [colour && `color:${colour}`, bold && 'font-weight:700'].filter(Boolean).join(';');
      const out = `${open ? '</span>' : ''}${style ? `<span style="${style}">` : ''}`;
      open = Boolean(style);
      return out;
    })
    .replace(/\x1b\[[\d;?]*[A-Za-z]/g, '');
  return `<!doctype html><meta charset="utf-8"><style>body{margin:0;background:#0d1117}pre{margin:0;padding:16px 20px;color:#e6edf3;font:14px/1.45 "DejaVu Sans Mono",monospace;white-space:pre-wrap;overflow-wrap:anywhere}</style><pre>${body}${open ? '</span>' : ''}</pre>`;
}
