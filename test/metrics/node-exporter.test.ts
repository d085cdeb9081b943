/**
 * The metrics file read back by the real node_exporter (Debian package
 * prometheus-node-exporter) through its textfile collector: what heal writes is what a
 * Prometheus scrape gets. Not skipped where the binary is missing: it fails, naming the package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countHeals } from '../../src/metrics/counters.js';
import { renderMetrics, type MetricsInput, type MetricsState } from '../../src/metrics/render.js';
import { writeMetricsFile } from '../../src/metrics/write.js';
import { closedPort } from '../helpers/servers.js';
import { parseExposition, smallInput, smallReport, smallState, T0, valueOf, type ParsedSample } from './fixtures.js';

const PACKAGE = 'prometheus-node-exporter';

/** $HEAL_NODE_EXPORTER, else prometheus-node-exporter (Debian's name) or node_exporter on the PATH. */
function findNodeExporter(): string | undefined {
  const given = process.env.HEAL_NODE_EXPORTER;
  if (given) return given;
  const dirs = ['/usr/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(delimiter)].filter(Boolean);
  for (const name of ['prometheus-node-exporter', 'node_exporter']) {
    for (const dir of dirs) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

type Exporter = { url: string; child: ChildProcess; output: () => string };

/** Starts node_exporter with only the textfile collector, and waits until it answers. */
async function startNodeExporter(binary: string, textfileDir: string): Promise<Exporter> {
  const port = await closedPort();
  const child = spawn(
    binary,
    ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${textfileDir}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${code ?? signal})`));
  child.once('error', (error) => (exited = `could not start: ${error.message}`));
  const url = `http://127.0.0.1:${port}/metrics`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`${binary} ${exited} before it answered:\n${output}`);
    try {
      if ((await fetch(url)).ok) return { url, child, output: () => output };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${binary} did not answer on ${url} within 10s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function scrape(exporter: Exporter): Promise<{ text: string; parsed: ParsedSample[] }> {
  const response = await fetch(exporter.url);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return { text, parsed: parseExposition(text) };
}

/** Every sample of the file is in the scrape, with the same labels and value. */
function expectAllExposed(written: string, scraped: readonly ParsedSample[]): void {
  const samples = parseExposition(written);
  expect(samples.length).toBeGreaterThan(10);
  for (const sample of samples) {
    const value = valueOf(scraped, sample.name, sample.labels);
    expect(value, `${sample.name} ${JSON.stringify(sample.labels)} in the scrape`).toBeDefined();
    expect(value).toBeCloseTo(sample.value, 9);
  }
}

const ODD_SERVICE = 'we"ird\\svc';
const ODD_CHECK = 'GET "http://127.0.0.1:8080/health"\nthen \\ more';

function scanInput(scan: 1 | 2): MetricsInput {
  const base = smallInput();
  const report = smallReport({
    services: [...base.report.services, { name: ODD_SERVICE, status: scan === 1 ? 'down' : 'healed', checks: [{ name: ODD_CHECK, ok: scan === 2, latencyMs: 42 }] }],
    startedAt: new Date(T0 + (scan - 1) * 300_000).toISOString(),
  });
  const first = countHeals(smallState().metrics, [{ service: ODD_SERVICE, result: 'failed' }]);
  const metrics = scan === 1 ? first : countHeals(first, [{ service: ODD_SERVICE, result: 'healed' }, { service: 'api', result: 'failed' }]);
  const alerts: MetricsState['alerts'] = scan === 1 ? { sent: { 'critical/discord': 3 }, dropped: 0 } : { sent: { 'critical/discord': 5, 'warning/log': 1 }, dropped: 2 };
  return { ...base, report, state: smallState({ metrics, alerts }), now: T0 + (scan - 1) * 300_000 + 2_000 };
}

/** The binary, or an error naming the package to install: a missing binary fails, never skips. */
function requireNodeExporter(): string {
  const binary = findNodeExporter();
  if (binary) return binary;
  throw new Error(
    `node_exporter is not installed: this test needs the Debian/Ubuntu package ${PACKAGE} (apt-get install -y ${PACKAGE}), ` +
      'or HEAL_NODE_EXPORTER set to a node_exporter binary',
  );
}

describe('the metrics file, read by the real node_exporter', () => {
  let dir: string | undefined;
  let exporter: Exporter | undefined;

  afterEach(async () => {
    const child = exporter?.child;
    exporter = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('exposes every heal_ series of two scans in a row, counters up, with no textfile error', async () => {
    const binary = requireNodeExporter();
    dir = await mkdtemp(join(tmpdir(), 'heal-textfile-'));
    exporter = await startNodeExporter(binary, dir);
    const file = join(dir, 'heal.prom');

    const first = renderMetrics(scanInput(1));
    expect(await writeMetricsFile(file, first)).toEqual({ ok: true });
    const scrape1 = await scrape(exporter);
    expect(valueOf(scrape1.parsed, 'node_textfile_scrape_error'), exporter.output()).toBe(0);
    expectAllExposed(first, scrape1.parsed);
    expect(valueOf(scrape1.parsed, 'heal_check_up', { service: ODD_SERVICE, check: ODD_CHECK })).toBe(0);
    expect(valueOf(scrape1.parsed, 'heal_last_scan_timestamp_seconds')).toBe(T0 / 1_000);

    const second = renderMetrics(scanInput(2));
    expect(await writeMetricsFile(file, second)).toEqual({ ok: true });
    const scrape2 = await scrape(exporter);
    expect(valueOf(scrape2.parsed, 'node_textfile_scrape_error'), exporter.output()).toBe(0);
    expectAllExposed(second, scrape2.parsed);

    expect(valueOf(scrape2.parsed, 'heal_check_up', { service: ODD_SERVICE, check: ODD_CHECK })).toBe(1);
    expect(valueOf(scrape2.parsed, 'heal_service_up', { service: ODD_SERVICE })).toBe(1);
    expect(valueOf(scrape2.parsed, 'heal_heals_total', { service: ODD_SERVICE, result: 'healed' })).toBe(1);
    expect(valueOf(scrape2.parsed, 'heal_heals_total', { service: 'api', result: 'failed' })).toBe(6);
    expect(valueOf(scrape2.parsed, 'heal_alerts_sent_total', { level: 'warning', channel: 'log' })).toBe(1);
    expect(valueOf(scrape2.parsed, 'heal_last_scan_timestamp_seconds')).toBe(T0 / 1_000 + 300);
    for (const sample of scrape1.parsed.filter((s) => s.name.startsWith('heal_') && s.name.endsWith('_total'))) {
      expect(valueOf(scrape2.parsed, sample.name, sample.labels), `${sample.name} ${JSON.stringify(sample.labels)}`).toBeGreaterThanOrEqual(sample.value);
    }
    expect(scrape2.text).toContain('# TYPE heal_heals_total counter');
    expect(scrape2.text).toContain('# TYPE heal_service_up gauge');
  });
});
