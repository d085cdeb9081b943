/**
 * The built CLI on a real terminal (a pseudo-terminal made by script(1), `stty cols` setting its
 * width) and off one (a pipe): colour and its environment switches, lines that fit the width, log
 * lines that read as lines, and plain text elsewhere.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin } from '../../src/common/shell.js';
import { CLI, workspace, type Workspace } from '../helpers/cli.js';

const ESC = /\u001b\[[0-9;]*m/g;
const LONG_URL = `http://127.0.0.1:1/${'very-long-path/'.repeat(6)}health`;

const MANIFEST = `version: 1
defaults: { timeout: 5s }
services:
  api:
    checks:
      - { type: port, port: 1 }
      - { type: http, url: "${LONG_URL}" }
    restart: { type: command, run: [/bin/sh, -c, "echo no such thing; exit 3"] }
  ghost:
    checks: [ { type: port, port: 1 } ]
    restart: { type: command, run: [/nonexistent/ghost-server] }
  web:
    checks: [ { type: command, run: [/bin/true] } ]
`;

/** The environment with no colour switch of the suite's own (vitest sets FORCE_COLOR), plus `env`. */
function environment(ws: Workspace, env: Record<string, string>): NodeJS.ProcessEnv {
  const { NO_COLOR: _no, FORCE_COLOR: _force, ...rest } = process.env;
  return { ...rest, HOME: `${ws.dir}/home`, ...env };
}

/** `heal ARGS…` on a pseudo-terminal `columns` wide: what the terminal showed (stdout and stderr together), lines without \r. */
function onTerminal(ws: Workspace, columns: number, args: string[], env: Record<string, string> = {}): Promise<{ code: number; lines: string[] }> {
  const command = `stty cols ${columns}; exec ${shellJoin([process.execPath, CLI, ...args, '--config', ws.manifest, '--state-dir', ws.stateDir])}`;
  const clean = environment(ws, { TERM: 'xterm', ...env });
  return new Promise((resolve) => {
    execFile('/usr/bin/script', ['-qefc', command, '/dev/null'], { env: clean, timeout: 120_000 }, (error, stdout) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, lines: stdout.replace(/\r/g, '').split('\n').filter((l) => l !== '') });
    });
  });
}

/** `heal ARGS…` with stdout and stderr pipes. */
function offTerminal(ws: Workspace, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--config', ws.manifest, '--state-dir', ws.stateDir], { env: environment(ws, env), timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('heal scan on a terminal', () => {
  it('colours, fits every line to the width, says a failed restart once with its command quoted, and shows log lines as short lines', async () => {
    const ws = await workspace(MANIFEST);
    const run = await onTerminal(ws, 60, ['scan']);
    expect(run.code).toBe(1);
    for (const line of run.lines) expect(line.replace(ESC, '').length, line).toBeLessThanOrEqual(60);
    const shown = run.lines.map((l) => l.replace(ESC, '')).join('\n');
    expect(run.lines.join('\n')).toContain('\u001b[31m');
    // One statement, the command as a shell needs it (wrapped lines joined back).
    expect(shown.replace(/\n +/g, ' ')).toContain(`api    down    restart failed (command: /bin/sh -c 'echo no such thing; exit 3'): exit 3: no such thing`);
    expect(shown).not.toContain('restarted (');
    // The long URL is cut with an ellipsis, not spilled over the edge.
    expect(shown).toContain('…');
    expect(shown).not.toContain(LONG_URL);
    // The log: a short line (local time, level, message), never pino's JSON.
    expect(shown.replace(/\n +/g, ' ')).toMatch(/^\d\d:\d\d:\d\d warn {2}services\.ghost\.restart\.run\[0\]: \/nonexistent\/ghost-server does not exist \(line 11\)$/m);
    expect(run.lines.filter((l) => l.includes('{"level"'))).toEqual([]);
  });

  it.each([
    ['NO_COLOR=1', { NO_COLOR: '1' }],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0' }],
    ['TERM=dumb', { TERM: 'dumb' }],
  ])('has no colour with %s', async (_name, env) => {
    const ws = await workspace(MANIFEST);
    const run = await onTerminal(ws, 100, ['scan'], env);
    expect(run.code).toBe(1);
    expect(run.lines.some((l) => l.includes('restart failed (command:'))).toBe(true);
    expect(run.lines.join('\n')).not.toContain('\u001b[');
  });

  it('heal status fits the width and colours the status', async () => {
    const ws = await workspace(MANIFEST);
    await offTerminal(ws, ['scan']);
    const run = await onTerminal(ws, 50, ['status']);
    expect(run.code).toBe(0);
    for (const line of run.lines) expect(line.replace(ESC, '').length, line).toBeLessThanOrEqual(50);
    expect(run.lines.join('\n')).toContain('\u001b[31mdown\u001b[39m for ');
    expect(run.lines.join('\n')).toContain('\u001b[32mup\u001b[39m for ');
  });
});

describe('heal scan off a terminal', () => {
  it('is plain text, one line per service however long, with JSON log lines on stderr', async () => {
    const ws = await workspace(MANIFEST);
    const run = await offTerminal(ws, ['scan']);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('\u001b[');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^heal scan · 3 services \(1 up, 2 down\) · /);
    expect(lines.find((l) => l.startsWith('✗ api '))).toContain(`GET ${LONG_URL} FAILED (connection refused)`);
    expect(lines.filter((l) => /^[✓✗↻!–] /.test(l))).toHaveLength(3);
    const logged = run.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logged.map((l) => l.msg)).toContain('scan finished');
  });

  it('is coloured with FORCE_COLOR=1, still unwrapped, the log still JSON', async () => {
    const ws = await workspace(MANIFEST);
    const run = await offTerminal(ws, ['scan'], { FORCE_COLOR: '1' });
    expect(run.stdout).toContain('\u001b[31m✗\u001b[39m api ');
    expect(run.stdout.replace(ESC, '')).toContain(`GET ${LONG_URL} FAILED (connection refused)`);
    expect(run.stderr.trimEnd().split('\n').every((l) => l.startsWith('{"level":'))).toBe(true);
  });
});
