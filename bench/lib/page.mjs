// What the status page costs (issue 17, part 3): reading the month of history it shows, building
// its model and rendering it, for 50 services and 30 days of five-minute scans. In-process, on
// the real src/ modules bundled with esbuild (the same code the CLI bundles).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { fillHistory } from './history.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SRC = join(here, '..', '..', 'src');

/** The page's modules, bundled into `work`. */
async function pageModules(work) {
  const outfile = join(work, 'page-modules.mjs');
  const contents = [
    "export { loadManifest } from './manifest/load.ts';",
    "export { readHistory, appendRecord } from './history/store.ts';",
    "export { statusHistorySince } from './history/summary.ts';",
    "export { pageModel } from './page/model.ts';",
    "export { renderPage } from './page/render.ts';",
    "export { emptyState } from './state/schema.ts';",
  ].join('\n');
  // Bundled CommonJS (yaml) calls require(); give the ES module one, as scripts/bundle.mjs does.
  const banner = { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" };
  await build({ stdin: { contents, resolveDir: SRC, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile, banner, logLevel: 'warning' });
  return import(outfile);
}

/** The names the bench's manifests give services (bench/lib/workloads.mjs): s0, s1, … */
export const serviceName = (i) => `s${i}`;

/** Fills `stateDir` with `days` days of five-minute scans of `services` services named as the manifests name them, ending `end`. */
export async function fillBenchHistory(work, stateDir, { services = 50, days = 30, end }) {
  const modules = await pageModules(work);
  return fillHistory(modules, stateDir, { services, days, end, nameOf: serviceName });
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Read, model and render, each the median of `runs`, for `services` services and 30 days; and the page's size. */
export async function measurePage(work, { services = 50, runs = 5 } = {}) {
  const modules = await pageModules(work);
  const dir = join(work, 'page-bench');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, 'services.yaml');
  writeFileSync(manifest, ['version: 1', 'services:', ...Array.from({ length: services }, (_, i) => `  ${serviceName(i)}: { checks: [ { type: port, port: ${20000 + i} } ] }`)].join('\n') + '\n');
  const end = Date.UTC(2026, 10, 22, 12, 0);
  const scans = await fillHistory(modules, dir, { services, days: 30, end, nameOf: serviceName });
  const loaded = await modules.loadManifest(manifest, {}, { cache: false });
  const state = modules.emptyState();
  const now = end + 60_000;
  const times = { read: [], model: [], render: [] };
  let html = '';
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    const { history } = await modules.readHistory(dir, { since: modules.statusHistorySince(now, loaded.manifest.interval) });
    times.read.push(performance.now() - t);
    t = performance.now();
    const model = modules.pageModel(loaded, state, history, now);
    times.model.push(performance.now() - t);
    t = performance.now();
    html = modules.renderPage(model);
    times.render.push(performance.now() - t);
  }
  return {
    [`read 30 days × ${services} services (${scans} scans) (ms, median of ${runs})`]: round(median(times.read), 0),
    [`model: uptime, day cells, latency, incidents (ms, median of ${runs})`]: round(median(times.model), 1),
    [`render the HTML (ms, median of ${runs})`]: round(median(times.render), 1),
    'page size (kB)': round(Buffer.byteLength(html) / 1e3, 0),
  };
}
