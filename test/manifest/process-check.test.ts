/**
 * The process check in the manifest: sizes in binary units, CPU as a share of one core, at least
 * one limit, a sample of at least 100 ms, and a service whose restart gives heal its pid — each
 * misuse one located line with the fix, through parseManifest and through `heal validate`.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/parse.js';
import { workspace } from '../helpers/cli.js';
import { problemsOf } from './problems.js';

const MiB = 1024 * 1024;

/** One service "api" whose process check (line 6) has `check`'s keys, and `restart` (line 7). */
const manifest = (check: string, restart = '{ type: command, run: ["true"], detach: true }') => `version: 1
services:
  api:
    checks:
      - { type: port, port: 4000 }
      - { type: process, ${check} }
    restart: ${restart}
`;

const NEEDS_PID = "services.api.checks[1]: a process check needs the service's pid: give the command restart a pidfile, or detach: true, or use a launchd or systemd restart (line 6)";
const NO_RESTART =
  "services.api.checks[1]: a process check needs the service's pid, and the service has no restart: add a command restart with a pidfile or detach: true, or a launchd or systemd restart (line 6)";
const SIZE = 'expected a size such as "512MB", "1.5GB" or "800KB" (binary: 1 MB = 1 MiB = 1024² bytes) (line 6)';
const PERCENT = 'expected a share of one core such as "90%" (200% is two cores) (line 6)';

describe('a process check in the manifest', () => {
  it.each([
    ['1.5GB', 1.5 * 1024 * MiB],
    ['512MB', 512 * MiB],
    ['512MiB', 512 * MiB],
    ['800KB', 800 * 1024],
    ['2GiB', 2 * 1024 * MiB],
    ['1 TB', 1024 * 1024 * MiB],
  ])('reads max_rss: %s as %i bytes (binary units, as ps counts)', (size, bytes) => {
    const check = parseManifest(manifest(`max_rss: ${size}`), {}).manifest.services['api']!.checks[1];
    expect(check).toEqual({ type: 'process', max_rss: bytes, sample: 1_000, on_fail: 'restart' });
  });

  it('reads max_cpu as a share of one core, more than 100% for several, and a sample', () => {
    const check = parseManifest(manifest('max_cpu: 250%, sample: 2s'), {}).manifest.services['api']!.checks[1];
    expect(check).toEqual({ type: 'process', max_cpu: 250, sample: 2_000, on_fail: 'restart' });
  });

  it.each([
    ['a pidfile', '{ type: command, run: ["true"], pidfile: run/api.pid }'],
    ['detach: true', '{ type: command, run: ["true"], detach: true }'],
    ['a launchd restart', '{ type: launchd, label: com.example.api }'],
    ['a systemd restart', '{ type: systemd, unit: api.service, user: true }'],
  ])('is valid in a service whose restart gives its pid: %s', (_what, restart) => {
    expect(problemsOf(manifest('max_rss: 1GB', restart))).toEqual([]);
  });

  it.each([
    ['a command restart without pidfile or detach', manifest('max_rss: 1GB', '{ type: command, run: ["true"] }'), [NEEDS_PID]],
    ['no restart', manifest('max_rss: 1GB').replace(/ {4}restart: .*\n/, ''), [NO_RESTART]],
    ['a disabled service without a pid (validated like the others)', manifest('max_rss: 1GB', '{ type: command, run: ["true"] }').replace('  api:\n', '  api:\n    enabled: false\n'), [NEEDS_PID.replace('(line 6)', '(line 7)')]],
    ['no limit', manifest('sample: 1s'), ['services.api.checks[1]: a process check needs max_rss, max_cpu or both (line 6)']],
    ['a size without its B', manifest('max_rss: 1.5G'), [`services.api.checks[1].max_rss: ${SIZE}`]],
    ['a size in bits', manifest('max_rss: 512Mb'), [`services.api.checks[1].max_rss: ${SIZE}`]],
    ['a size without a unit', manifest('max_rss: 1500000'), [`services.api.checks[1].max_rss: ${SIZE}`]],
    ['a size of nothing', manifest('max_rss: 0MB'), [`services.api.checks[1].max_rss: ${SIZE}`]],
    ['a share without %', manifest('max_cpu: 90'), [`services.api.checks[1].max_cpu: ${PERCENT}`]],
    ['a share of 0%', manifest('max_cpu: 0%'), [`services.api.checks[1].max_cpu: ${PERCENT}`]],
    ['a sample too short to measure', manifest('max_cpu: 90%, sample: 10ms'), ['services.api.checks[1].sample: must be at least 100ms (line 6)']],
  ])('refuses %s, in one located line', (_what, text, problems) => {
    expect(problemsOf(text)).toEqual(problems);
  });

  it('is refused by heal validate with the same line, exit 2; a valid one passes', async () => {
    const ws = await workspace(manifest('max_rss: 1.5GB, max_cpu: 90%', '{ type: command, run: ["true"] }'));
    const run = await ws.heal('validate');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${NEEDS_PID}\nheal: the manifest is invalid (1 problem)\n`);

    await ws.write(manifest('max_rss: 1.5GB, max_cpu: 90%', '{ type: command, run: ["true"], pidfile: api.pid }'));
    expect(await ws.heal('validate')).toMatchObject({ code: 0 });
  });

  it('stops heal scan before it touches the state, like any invalid manifest', async () => {
    const ws = await workspace(manifest('max_rss: 1GB').replace(/ {4}restart: .*\n/, ''));
    const run = await ws.heal('scan');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(NO_RESTART);
  });
});
