#!/usr/bin/env node
// node bench/history.mjs [--appends 500]
//
// What the history costs a scan (issue 17), the same figures `npm run bench` puts in
// bench/results.json: the append of a full scan (50 and 200 services, a day's file already half
// full), the first append of a day (compressing the day before, deleting what is past keep), the
// size of 30 days of five-minute scans of 50 services, and what heal status pays to read them (the
// closed days from their cols files, and from their lines alone, paired; heal status itself when
// dist/ is built).
// In-process, on the real src/history/store.ts bundled with esbuild; it removes its folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureHistory } from './lib/history.mjs';

const at = process.argv.indexOf('--appends');
const appends = at >= 0 ? Number(process.argv[at + 1]) : 500;
const work = mkdtempSync(join(tmpdir(), 'heal-bench-history-'));
try {
  const figures = await measureHistory(work, { appends });
  console.log(['| history | value |', '| --- | --- |', ...Object.entries(figures).map(([name, value]) => `| ${name} | ${value} |`)].join('\n'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
