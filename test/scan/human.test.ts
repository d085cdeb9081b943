import { describe, expect, it } from 'vitest';
import { formatScanReport } from '../../src/scan/human.js';
import type { ScanReport } from '../../src/scan/report.js';
import { paint } from '../../src/terminal/colour.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

const report: ScanReport = {
  startedAt: new Date(T0).toISOString(),
  durationMs: 312,
  dryRun: false,
  outbox: {},
  services: [
    {
      name: 'api',
      status: 'down',
      rule: 'down',
      action: "restart failed (command: /bin/sh -c 'exit 1')",
      reason: 'exit 1',
      checks: [{ type: 'port', name: 'port 127.0.0.1:4000', ok: false, latencyMs: 1, error: 'connection refused' }],
    },
    {
      name: 'web',
      status: 'healed',
      rule: 'down',
      action: 'restarted (command: web)',
      checks: [{ type: 'port', name: 'port 127.0.0.1:4001', ok: true, latencyMs: 2 }],
      alertsHeld: [{ kind: 'healed', level: 'info', count: 2, until: new Date(T0 + 30 * 60_000 + 1_234).toISOString() }],
    },
  ],
};

describe('the scan report as text', () => {
  it('off a terminal: plain, one line per service, the failed restart said once, times local to the second', () => {
    const text = formatScanReport(report);
    expect(text.split('\n')).toEqual([
      'heal scan · 2 services (1 healed, 1 down) · 312ms',
      "✗ api   down    restart failed (command: /bin/sh -c 'exit 1'): exit 1 · port 127.0.0.1:4000 FAILED (connection refused)",
      '↻ web   healed  restarted (command: web) · port 127.0.0.1:4001 2ms',
      expect.stringMatching(/^ {8}healed notice held back by the info cooldown \(2 since the last one went out; next possible at (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\)$/),
      '',
    ]);
    expect(text).not.toMatch(/\.\d{3}Z/);
  });

  it('on a terminal: coloured marks and statuses, and every line within the width', () => {
    const text = formatScanReport(report, { paint: paint(true), width: 50 });
    expect(text).toContain('\u001b[31m✗\u001b[39m api   \u001b[31mdown\u001b[39m    restart failed');
    expect(text).toContain('\u001b[36m↻\u001b[39m web   \u001b[36mhealed\u001b[39m  restarted');
    for (const line of text.split('\n')) expect(line.replace(/\u001b\[[0-9;]*m/g, '').length, line).toBeLessThanOrEqual(50);
    // Continuation lines start under the detail column.
    expect(text).toMatch(/\n {16}\S/);
  });
});
