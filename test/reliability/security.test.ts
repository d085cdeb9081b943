/**
 * Security: nothing is ever run through a shell (argv, env values, labels and units holding
 * `;`, `$()`, backticks are data: a recorder program receives them verbatim, and no side effect
 * appears); secrets from `${VAR}` never reach a log, the state, a report, an error or a message
 * (every file written and every message received is searched, for the secret and for any 8
 * characters of it); state and log files are 0600 in 0700 folders, even under umask 0; and, as
 * root, a manifest that group or others may write is refused with the chmod that fixes it.
 */
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { foreignOwnerProblem, looseModeProblem } from '../../src/manifest/load.js';
import { freePort, runHeal, waitFor, workspace, type HealRun, type Workspace } from '../helpers/cli.js';
import { serverScope, startHttpServer, startTcpServer } from '../helpers/servers.js';
import { startSmtpServer } from '../helpers/smtp-server.js';
import { builtCli, filesUnder } from './support.js';

const servers = serverScope();
let ws: Workspace | undefined;
let outside: string;
beforeEach(async () => {
  outside = await mkdtemp(join(tmpdir(), 'heal-sec-'));
});
afterEach(async () => {
  await servers.closeAll();
  await rm(outside, { recursive: true, force: true });
});

/**
 * A program that appends its argv (and $META) as one JSON line to calls.jsonl beside it, says
 * its argv on stderr, and exits with $EXIT_CODE (default 1).
 */
async function recorder(dir: string): Promise<{ path: string; calls(): Promise<{ argv: string[]; meta?: string }[]> }> {
  const path = join(dir, 'recorder.mjs');
  await writeFile(
    path,
    `#!${process.execPath}
import { appendFileSync } from 'node:fs';
appendFileSync(new URL('calls.jsonl', import.meta.url), JSON.stringify({ argv: process.argv.slice(2), meta: process.env.META }) + '\\n');
// Say what it got, padded so that the last word straddles column 200, where errors are cut short.
process.stderr.write('.'.repeat(Number(process.env.PAD ?? 180)) + ' ' + process.argv.slice(2).join(' ') + '\\n');
process.exit(Number(process.env.EXIT_CODE ?? 1));
`,
    { mode: 0o755 },
  );
  return {
    path,
    async calls() {
      const text = await readFile(join(dir, 'calls.jsonl'), 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { argv: string[]; meta?: string });
    },
  };
}

describe('nothing runs through a shell', () => {
  it('passes argv and env holding ; $() backticks | && > $VAR verbatim, with no side effect', async () => {
    const rec = await recorder(outside);
    const pwned = (name: string): string => join(outside, `pwned-${name}`);
    const nasty = [
      `; touch ${pwned('semicolon')}`,
      `$(touch ${pwned('subshell')})`,
      `\`touch ${pwned('backtick')}\``,
      `| touch ${pwned('pipe')}`,
      `&& touch ${pwned('and')}`,
      `> ${pwned('redirect')}`,
      '$HOME',
      `'single' "double" \\`,
      '*',
      '~',
      'two\nlines',
      `--flag=$(touch ${pwned('flag')})`,
    ];
    const yamlList = (words: string[]): string => `[${words.map((w) => JSON.stringify(w)).join(', ')}]`;
    ws = await workspace(`version: 1
log_file: heal.log
defaults: { cooldown: 0s, verify_timeout: 500ms, timeout: 2s }
services:
  waited:
    checks: [ { type: command, run: ${yamlList([rec.path, 'check', ...nasty])} } ]
    restart:
      type: command
      run: ${yamlList([rec.path, 'restart', ...nasty])}
      stop: ${yamlList([rec.path, 'stop', ...nasty])}
      env: { META: "$(touch ${pwned('env')}); \`touch ${pwned('env2')}\`", EXIT_CODE: "0" }
  detached:
    checks: [ { type: command, run: ${yamlList([rec.path, 'check-detached', ...nasty])} } ]
    restart: { type: command, run: ${yamlList([rec.path, 'detached', ...nasty])}, detach: true, env: { EXIT_CODE: "0" } }
`);
    const run = await ws.heal('scan', '--json');
    expect(run.code, run.stderr).toBe(1);
    // The detached restart outlives the scan: wait for its process to start (an upper bound).
    await waitFor(async () => (await rec.calls()).some((c) => c.argv[0] === 'detached'), 30_000);

    const calls = await rec.calls();
    const byRole = (role: string) => calls.filter((c) => c.argv[0] === role);
    for (const role of ['check', 'restart', 'stop', 'check-detached', 'detached']) {
      expect(byRole(role).length, role).toBeGreaterThan(0);
      for (const call of byRole(role)) expect(call.argv).toEqual([role, ...nasty]);
    }
    expect(byRole('restart')[0]?.meta).toBe(`$(touch ${pwned('env')}); \`touch ${pwned('env2')}\``);
    for (const name of ['semicolon', 'subshell', 'backtick', 'pipe', 'and', 'redirect', 'flag', 'env', 'env2']) expect(existsSync(pwned(name)), name).toBe(false);
  });

  it('refuses launchd labels and systemd units that hold shell syntax', async () => {
    ws = await workspace(`version: 1
services:
  a:
    checks: [ { type: launchd, label: "com.example.a;touch /tmp/pwned" } ]
    restart: { type: launchd, label: "com.example.$(id)" }
  b:
    checks: [ { type: systemd, unit: "b.service\`id\`" } ]
    restart: { type: systemd, unit: "b service" }
`);
    const run = await ws.heal('validate');
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^services\.a\.checks\[0\]\.label: a launchd label may hold only/),
      expect.stringMatching(/^services\.a\.restart\.label: a launchd label may hold only/),
      expect.stringMatching(/^services\.b\.checks\[0\]\.unit: a systemd unit name/),
      expect.stringMatching(/^services\.b\.restart\.unit: a systemd unit name/),
      'heal: the manifest is invalid (4 problems)',
    ]);
  });
});

describe('secrets from ${VAR}', () => {
  // No two share eight characters in a row, so a leak names its secret.
  const API_TOKEN = 'aPiTok3nQwErTyUiOp1234567890zz';
  const HOOK_TOKEN = 'HkTkn9876543210LkJhGfDsAmNbVcX';
  const SMTP_PASS = 'Sm7pPwdZaQ1XsW2CdE3VfR4BgT5NhY';
  const SECRETS = [API_TOKEN, HOOK_TOKEN, SMTP_PASS];

  /** Where a secret (or any 8 characters of one) appears in `text`: one line per secret found. */
  function leaks(text: string): string[] {
    const found: string[] = [];
    for (const secret of SECRETS) {
      for (let i = 0; i + 8 <= secret.length; i++) {
        const at = text.indexOf(secret.slice(i, i + 8));
        if (at !== -1) {
          found.push(`${secret.slice(i, i + 8)} in …${text.slice(Math.max(0, at - 80), at + 40)}…`);
          break;
        }
      }
    }
    return found;
  }

  it('never reach a log, the state, a report, an error, the cache or a message', { timeout: 60_000 }, async () => {
    // An API that redirects to a URL holding the token, and answers JSON that echoes it.
    const api = await servers.add(
      startHttpServer((req, res) => {
        if (req.url?.startsWith('/redirect')) {
          res.writeHead(302, { location: `http://127.0.0.1/login?token=${API_TOKEN}` });
          return res.end();
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        const token = String(req.headers.authorization).replace('Bearer ', '');
        res.end(JSON.stringify({ status: `expired: ${'x'.repeat(30)} ${token} is no longer valid` }));
      }),
    );
    // A webhook receiver that refuses, naming the path it was called on (which holds the token).
    let hookOk = false;
    const hook = await servers.add(
      startHttpServer((req, res) => {
        if (hookOk) return res.writeHead(204).end();
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `no hook at ${req.url}` }));
      }),
    );
    const smtpPort = await freePort();
    const rec = await recorder(outside);
    ws = await workspace(`version: 1
log_file: heal.log
metrics_file: heal.prom
scan_timeout: 8s
defaults: { cooldown: 0s, verify_timeout: 300ms, timeout: 1s }
alerts:
  levels:
    critical: { threshold: 1, cooldown: 0s, channels: [hook, mail, log] }
    info: { threshold: 1, cooldown: 0s, channels: [hook, mail, log] }
  channels:
    hook: { type: webhook, url: "http://127.0.0.1:${hook.port}/hooks/\${HOOK_TOKEN}", timeout: 1s }
    mail: { type: email, host: 127.0.0.1, port: ${smtpPort}, user: heal, pass: "\${SMTP_PASS}", from: heal@example.com, to: [ops@example.com], timeout: 1s }
services:
  api:
    checks:
      - { type: http, url: "http://127.0.0.1:${api.port}/redirect?token=\${API_TOKEN}", status: 200, headers: { authorization: "Bearer \${API_TOKEN}" } }
      - { type: http, url: "http://127.0.0.1:${api.port}/health", json: { path: status, equals: up }, headers: { authorization: "Bearer \${API_TOKEN}" } }
      - { type: command, run: [${JSON.stringify(rec.path)}, "--token", "\${API_TOKEN}"] }
    restart: { type: command, run: [${JSON.stringify(rec.path)}, "--restart-with", "\${API_TOKEN}"] }
`);
    const env = { API_TOKEN, HOOK_TOKEN, SMTP_PASS, HEAL_CACHE_DIR: join(ws.dir, 'cache') };
    const heal = (...args: string[]): Promise<HealRun> => runHeal([...args, '--config', ws!.manifest, ...(args[0] === 'validate' ? [] : ['--state-dir', ws!.stateDir])], { cwd: ws!.dir, env });
    const runs: HealRun[] = [];

    // Everything fails: the checks, the restart, the webhook (500), SMTP (nothing listening, then bad credentials).
    runs.push(await heal('scan', '--json'));
    const smtp = await servers.add(startSmtpServer({ port: smtpPort, auth: { user: 'heal', pass: 'not-the-one-heal-has' } }));
    runs.push(await heal('scan'));
    runs.push(await heal('scan', '--dry-run'));
    runs.push(await heal('status'), await heal('status', '--json'), await heal('validate'), await heal('alert', 'test'));
    hookOk = true;
    runs.push(await heal('scan', '--json'));
    // A manifest that is refused, echoing a value from the environment.
    const good = await readFile(ws.manifest, 'utf8');
    await writeFile(ws.manifest, good.replace('scan_timeout: 8s', 'scan_timeout: 8s\nconcurrency: "${API_TOKEN}"'));
    const refused = await heal('scan');
    expect(refused.code).toBe(2);
    runs.push(refused);
    await writeFile(ws.manifest, good);

    expect(runs[0]!.code).toBe(1);
    const report = JSON.parse(runs[0]!.stdout) as { services: { checks: { error?: string }[] }[] };
    expect(report.services[0]!.checks[0]!.error).toMatch(/^status 302 \(expected 200\), redirects to .*\[redacted\]/);

    const written = await filesUnder(ws.dir);
    expect(written.map((f) => f.path)).toEqual(expect.arrayContaining([join(ws.stateDir, 'state.json'), join(ws.dir, 'heal.log'), join(ws.dir, 'heal.prom')]));
    const hookBodies = hook.requests.map((r) => `${r.path} ${JSON.stringify(r.headers)} ${r.body}`);
    expect(hook.requests.length).toBeGreaterThan(0);
    const sources = [
      ...written.filter((f) => f.path !== ws!.manifest).map((f) => [`file ${f.path}`, f.text] as const),
      ...runs.map((r, i) => [`run ${i}`, `${r.stdout}\n${r.stderr}`] as const),
      ...hookBodies.map((b, i) => [`webhook body ${i}`, b.replace(/^\/hooks\/[^ ]+ /, '/hooks/<the configured URL> ')] as const),
      ...smtp.received.map((m, i) => [`mail ${i}`, m.raw] as const),
    ];
    expect(sources.flatMap(([where, text]) => leaks(text).map((leak) => `${where}: ${leak}`))).toEqual([]);
    // The recorder did get the real token: the secret was used, not merely hidden.
    expect((await rec.calls()).some((c) => c.argv.includes(API_TOKEN))).toBe(true);
  });
});

describe('file modes', () => {
  it('creates the state folder 0700 and its files, the log and the service logs 0600, even under umask 0', async () => {
    const service = await servers.add(startTcpServer((socket) => socket.end()));
    const rec = await recorder(outside);
    ws = await workspace(`version: 1
log_file: logs-of-heal/heal.log
defaults: { cooldown: 0s, verify_timeout: 300ms }
services:
  up:
    checks: [ { type: port, port: ${service.port} } ]
  down:
    checks: [ { type: port, port: ${await freePort()} } ]
    restart: { type: command, run: [${JSON.stringify(rec.path)}], detach: true }
`);
    await mkdir(join(ws.dir, 'logs-of-heal'));
    const previous = process.umask(0);
    try {
      await builtCli();
      const run = await ws.heal('scan');
      expect(run.code).toBe(1);
      // A state folder that exists with looser rights is tightened.
      await chmod(ws.stateDir, 0o755);
      await writeFile(join(ws.stateDir, 'state.json.corrupt-test'), 'x', { mode: 0o600 });
      expect((await ws.heal('scan')).code).toBe(1);
    } finally {
      process.umask(previous);
    }
    const mode = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8);
    expect(await mode(ws.stateDir)).toBe('700');
    expect(await mode(join(ws.stateDir, 'state.json'))).toBe('600');
    expect(await mode(join(ws.stateDir, 'logs'))).toBe('700');
    expect(await mode(join(ws.stateDir, 'logs', 'down.log'))).toBe('600');
    expect(await mode(join(ws.dir, 'logs-of-heal', 'heal.log'))).toBe('600');
    for (const f of await filesUnder(ws.stateDir)) expect(await mode(f.path), f.path).toBe('600');
  });

  it('takes the scan lock as a 0600 file', async () => {
    // The check's endpoint holds its answer until the test has seen the lock: the scan (and its
    // lock) lasts exactly as long as the test needs, however slowly the CLI starts.
    const held: (() => void)[] = [];
    const slow = await servers.add(startHttpServer((_req, res) => held.push(() => res.end('ok'))));
    ws = await workspace(`version: 1
services:
  slow:
    checks: [ { type: http, url: "${slow.url('/')}", timeout: 60s } ]
`);
    const previous = process.umask(0);
    try {
      await builtCli();
      const running = ws.heal('scan');
      const lock = join(ws.stateDir, 'scan.lock');
      await waitFor(() => held.length > 0, 30_000);
      expect(existsSync(lock)).toBe(true);
      expect(((await stat(lock)).mode & 0o777).toString(8)).toBe('600');
      for (const answer of held) answer();
      expect((await running).code).toBe(0);
    } finally {
      process.umask(previous);
    }
  });
});

describe('a manifest others may write', () => {
  it('is fine when heal is not root', () => {
    expect(looseModeProblem('/x/services.yaml', 0o100666, 501)).toBeUndefined();
    expect(looseModeProblem('/x/services.yaml', 0o100644, 0)).toBeUndefined();
    expect(looseModeProblem('/x/services.yaml', 0o100600, 0)).toBeUndefined();
    expect(looseModeProblem('/x/services.yaml', 0o100640, 0)).toBeUndefined();
    expect(looseModeProblem('/x/services.yaml', 0o100620, 0)).toBe('/x/services.yaml: writable by group or others (mode 0620); heal runs as root and would run what it says: chmod go-w /x/services.yaml');
  });

  it.skipIf(process.getuid?.() !== 0).each(['0664', '0646', '0666', '0620', '0777'])('is refused as root when its mode is %s, saying how to fix it, touching nothing', async (mode) => {
    const loose = parseInt(mode, 8);
    ws = await workspace('version: 1\nservices:\n  a:\n    checks: [ { type: port, port: 1 } ]\n');
    await chmod(ws.manifest, loose);
    for (const command of [['scan'], ['validate'], ['status']]) {
      const run = await ws.heal(...command);
      expect(run.code, command[0]).toBe(2);
      const shown = loose.toString(8).padStart(4, '0');
      expect(run.stderr).toBe(
        `${ws.manifest}: writable by group or others (mode ${shown}); heal runs as root and would run what it says: chmod go-w ${ws.manifest}\n` +
          'heal: the manifest is invalid (1 problem)\n',
      );
    }
    expect(existsSync(ws.stateDir)).toBe(false);
    await chmod(ws.manifest, loose & ~0o022);
    expect((await ws.heal('validate')).code).toBe(0);
  });
});

describe('a manifest another user owns', () => {
  it('is fine when heal is not root, or root owns it', () => {
    expect(foreignOwnerProblem('/x/services.yaml', 501, 501)).toBeUndefined();
    expect(foreignOwnerProblem('/x/services.yaml', 0, 0)).toBeUndefined();
    expect(foreignOwnerProblem('/x/services.yaml', 0, 501)).toBeUndefined();
    expect(foreignOwnerProblem('/x/services.yaml', 501, 0)).toBe('/x/services.yaml: owned by another user (uid 501); heal runs as root and would run what it says: chown root /x/services.yaml');
  });

  it.skipIf(process.getuid?.() !== 0)('is refused as root even at mode 0644, saying how to fix it, touching nothing', async () => {
    ws = await workspace('version: 1\nservices:\n  a:\n    checks: [ { type: port, port: 1 } ]\n');
    await chmod(ws.manifest, 0o644);
    await chown(ws.manifest, 65534, 65534);
    for (const command of [['scan'], ['validate'], ['status']]) {
      const run = await ws.heal(...command);
      expect(run.code, command[0]).toBe(2);
      expect(run.stderr).toBe(
        `${ws.manifest}: owned by another user (uid 65534); heal runs as root and would run what it says: chown root ${ws.manifest}\n` +
          'heal: the manifest is invalid (1 problem)\n',
      );
    }
    expect(existsSync(ws.stateDir)).toBe(false);
    // Owned by another user and writable by others: both, each with its fix.
    await chmod(ws.manifest, 0o666);
    expect((await ws.heal('validate')).stderr.split('\n')).toEqual([
      expect.stringMatching(/: owned by another user \(uid 65534\); .*: chown root /),
      expect.stringMatching(/: writable by group or others \(mode 0666\); .*: chmod go-w /),
      'heal: the manifest is invalid (2 problems)',
      '',
    ]);
    await chmod(ws.manifest, 0o644);
    await chown(ws.manifest, 0, 0);
    expect((await ws.heal('validate')).code).toBe(0);
  });
});
