#!/usr/bin/env node
// node bench/page.mjs [--services 50]
//
// What the status page costs alone (issue 17, part 3): for 30 days of five-minute scans, reading
// the history it shows, building its model (uptime, day cells, latency, incidents) and rendering
// the HTML, and the page's size. In-process, on the real src/ modules bundled with esbuild; it
// removes its folder. `npm run bench` measures the whole scan with the page on (workload 6).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measurePage } from './lib/page.mjs';

const at = process.argv.indexOf('--services');
const services = at >= 0 ? Number(process.argv[at + 1]) : 50;
const work = mkdtempSync(join(tmpdir(), 'heal-bench-page-'));
try {
  const figures = await measurePage(work, { services });
  console.log(['| status page | value |', '| --- | --- |', ...Object.entries(figures).map(([name, value]) => `| ${name} | ${value} |`)].join('\n'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
