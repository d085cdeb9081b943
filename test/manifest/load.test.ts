import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_FIELDS } from '../../src/alerts/channels/template.js';
import { loadManifest } from '../../src/manifest/load.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { problemsOf } from './problems.js';

const service = (body: string) => `version: 1\nservices:\n  api:\n${body}`;
/** A manifest whose one alert channel is `line` (on line 4). */
const channel = (line: string) => `version: 1\nalerts:\n  channels:\n    ${line}\nservices: {}\n`;

describe('a valid manifest', () => {
  it('applies the documented defaults', () => {
    const { manifest } = parseManifest(service('    checks: [ { type: port, port: 3002 } ]\n'), {});
    expect(manifest.scan_timeout).toBe(60_000);
    expect(manifest.concurrency).toBe(64);
    expect(manifest.defaults.breaker).toEqual({ failure_threshold: 3, success_threshold: 2, open_for: 600_000, max_open_for: 3_600_000 });
    const api = manifest.services['api']!;
    expect(api.enabled).toBe(true);
    expect(api.alert_level).toBe('critical');
    expect(api.checks[0]).toMatchObject({ type: 'port', host: '127.0.0.1', port: 3002 });
  });

  it('reads durations in ms, s, m, h and d', () => {
    const { manifest } = parseManifest(
      `version: 1\ndefaults: { timeout: 500ms, cooldown: 5m, verify_timeout: 1.5s, start_grace: 1h }\nalerts: { max_age: 2d }\nservices: {}\n`,
      {},
    );
    expect(manifest.defaults).toMatchObject({ timeout: 500, cooldown: 300_000, verify_timeout: 1_500, start_grace: 3_600_000 });
    expect(manifest.alerts.max_age).toBe(172_800_000);
  });

  it('accepts the bundled services.yaml', async () => {
    const { manifest } = await loadManifest(join(import.meta.dirname, '..', '..', 'services.yaml'), {});
    expect(Object.keys(manifest.services)).toEqual(['demo', 'health-proxy', 'mcp-bridge', 'boss-api']);
    expect(manifest.services['boss-api']).toMatchObject({ enabled: false, restart: { type: 'launchd', label: 'com.example.boss-api' } });
  });
});

describe('interpolation', () => {
  it('replaces ${VAR} from the environment and reports the value as a secret', () => {
    const { manifest, secrets } = parseManifest(
      service('    checks: [ { type: http, url: "http://127.0.0.1:${PORT}/health", headers: { authorization: "Bearer ${TOKEN}" } } ]\n'),
      { PORT: '8080', TOKEN: 's3cret-token' },
    );
    expect(manifest.services['api']!.checks[0]).toMatchObject({ url: 'http://127.0.0.1:8080/health', headers: { authorization: 'Bearer s3cret-token' } });
    expect(secrets).toEqual(expect.arrayContaining(['8080', 's3cret-token']));
  });

  it('reads $$ as a literal $ and leaves a lone $ alone', () => {
    const { manifest } = parseManifest(service('    checks: [ { type: command, run: [echo, "$$HOME", "cost: 5$"] } ]\n'), {});
    expect(manifest.services['api']!.checks[0]).toMatchObject({ run: ['echo', '$HOME', 'cost: 5$'] });
  });

  it('uses ${VAR:-fallback} when the variable is unset', () => {
    const { manifest } = parseManifest(service('    checks: [ { type: port, host: "${HOST:-127.0.0.1}", port: 80 } ]\n'), {});
    expect(manifest.services['api']!.checks[0]).toMatchObject({ host: '127.0.0.1' });
  });

  it('never lets a value change the structure of the document', () => {
    const { manifest } = parseManifest(service('    checks: [ { type: command, run: ["${EVIL}"] } ]\n'), { EVIL: 'x"]\n    restart: {type: command' });
    expect(manifest.services['api']!.restart).toBeUndefined();
    expect(manifest.services['api']!.checks[0]).toMatchObject({ run: ['x"]\n    restart: {type: command'] });
  });
});

describe('a broken manifest prints one line per problem, naming where it is', () => {
  it.each([
    ['an invalid URL', service('    checks:\n      - { type: port, port: 1 }\n      - { type: http, url: "not a url" }\n'), ['services.api.checks[1].url: Invalid URL (line 6)']],
    ['an unknown key', service('    chekcs: []\n    checks: [ { type: port, port: 1 } ]\n'), ['services.api.chekcs: unknown key (line 4)']],
    ['an unknown key in a check', service('    checks: [ { type: port, port: 1, hots: x } ]\n'), ['services.api.checks[0].hots: unknown key: did you mean host? (line 4)']],
    ['an unknown top-level key', 'version: 1\nservice: {}\nservices: {}\n', ['service: unknown key (line 2)']],
    ['an unknown check type', service('    checks: [ { type: tcp, port: 1 } ]\n'), ['services.api.checks[0].type: type must be one of: port, http, file, command, launchd, systemd, certificate, process (line 4)']],
    ['an unknown restart type', service('    checks: [ { type: port, port: 1 } ]\n    restart: { type: docker }\n'), ['services.api.restart.type: type must be one of: command, launchd, systemd (line 5)']],
    ['restart_with_parent without depends_on', service('    checks: [ { type: port, port: 1 } ]\n    restart: { type: command, run: ["true"] }\n    restart_with_parent: true\n'), ['services.api.restart_with_parent: restarts the service after a service it depends on, but it has no depends_on: add depends_on: [<parent>], or remove restart_with_parent (line 6)']],
    ['restart_with_parent without a restart', 'version: 1\nservices:\n  db: { checks: [ { type: port, port: 2 } ] }\n  api: { depends_on: [db], restart_with_parent: true, checks: [ { type: port, port: 1 } ] }\n', ['services.api.restart_with_parent: the service has no restart to run with its parent: add a restart, or remove restart_with_parent (line 4)']],
    ['an on_fail that is neither restart nor alert', service('    checks: [ { type: port, port: 1, on_fail: ignore } ]\n'), ['services.api.checks[0].on_fail: expected restart (the service is down and restarted) or alert (the service is degraded, never restarted) (line 4)']],
    ['max_latency on a file check', service('    checks: [ { type: file, path: beat, max_age: 1m, max_latency: 1s } ]\n'), ['services.api.checks[0].max_latency: unknown key (allowed here: type, path, max_age, name, timeout, retries, retry_delay, on_fail) (line 4)']],
    ['a certificate check without a host', service('    checks: [ { type: certificate, port: 443 } ]\n'), ['services.api.checks[0].host: required (line 4)']],
    ['a certificate expires_within that is no duration', service('    checks: [ { type: certificate, host: example.com, expires_within: 14 } ]\n'), ['services.api.checks[0].expires_within: a duration needs a unit: write expires_within: 14s (or ms, m, h, d) (line 4)']],
    ['a port of 0', service('    checks: [ { type: port, port: 0 } ]\n'), ['services.api.checks[0].port: port must be between 1 and 65535 (line 4)']],
    ['a port of 70000', service('    checks: [ { type: port, port: 70000 } ]\n'), ['services.api.checks[0].port: port must be between 1 and 65535 (line 4)']],
    ['a port that is a string', service('    checks: [ { type: port, port: "80" } ]\n'), ['services.api.checks[0].port: a number, not a string: write port: 80 (line 4)']],
    ['empty checks', service('    checks: []\n'), ['services.api.checks: a service needs at least one check (line 4)']],
    ['missing checks', service('    restart: { type: command, run: ["true"] }\n'), ['services.api.checks: required (line 4)']],
    ['a check that is not a mapping', service('    checks:\n      - port\n'), ['services.api.checks[0]: expected a mapping, got "port" (line 5)']],
    ['a bad duration', service('    checks: [ { type: port, port: 1, timeout: 3 } ]\n'), ['services.api.checks[0].timeout: a duration needs a unit: write timeout: 3s (or ms, m, h, d) (line 4)']],
    ['a restart given as a shell string', service('    checks: [ { type: port, port: 1 } ]\n    restart: { type: command, run: "systemctl restart api" }\n'), ['services.api.restart.run: expected a list of arguments (argv), not a shell string (line 5)']],
    ['a launchd label with shell characters', service('    checks: [ { type: port, port: 1 } ]\n    restart: { type: launchd, label: "a;touch pwned" }\n'), ['services.api.restart.label: a launchd label may hold only letters, digits, ".", "_" and "-" (line 5)']],
    ['a duplicate service name', 'version: 1\nservices:\n  api: { checks: [ { type: port, port: 1 } ] }\n  api: { checks: [ { type: port, port: 2 } ] }\n', ['services.api: duplicate service name (line 4)']],
    ['a bad service name', 'version: 1\nservices:\n  Bad_Name: { checks: [ { type: port, port: 1 } ] }\n', ['services.Bad_Name: service names must match [a-z0-9][a-z0-9._-]* (line 3)']],
    ['a dependency on no service', service('    depends_on: [db]\n    checks: [ { type: port, port: 1 } ]\n'), ['services.api.depends_on[0]: no service named "db" (line 4)']],
    ['a dependency on itself', service('    depends_on: [api]\n    checks: [ { type: port, port: 1 } ]\n'), ['services.api.depends_on[0]: a service cannot depend on itself (line 4)']],
    ['a dependency cycle', 'version: 1\nservices:\n  a: { depends_on: [b], checks: [ { type: port, port: 1 } ] }\n  b: { depends_on: [c], checks: [ { type: port, port: 1 } ] }\n  c: { depends_on: [a], checks: [ { type: port, port: 1 } ] }\n', ['services.a.depends_on: dependency cycle: a → b → c → a (line 3)']],
    ['an unset variable', service('    checks: [ { type: http, url: "http://127.0.0.1/${NOPE}" } ]\n'), ['services.api.checks[0].url: environment variable NOPE is not set (line 4)']],
    ['a malformed variable reference', service('    checks: [ { type: http, url: "http://127.0.0.1/${1X}" } ]\n'), ['services.api.checks[0].url: "${1X}" is not a valid variable reference (use ${NAME} or $$ for a literal $) (line 4)']],
    ['a wrong version', 'version: 2\nservices: {}\n', ['version: must be 1 (the only manifest version so far) (line 1)']],
    ['no services', 'version: 1\n', ['services: required (line 1)']],
    ['a list at the top', '- 1\n- 2\n', ['manifest: expected a mapping with `version: 1` and `services:` (line 1)']],
    ['an empty file', '', ['manifest: the file is empty (no YAML in it, or only comments): write at least `version: 1` and `services:` with one service']],
    ['a file of comments only', '# services.yaml\n\n# nothing yet\n', ['manifest: the file is empty (no YAML in it, or only comments): write at least `version: 1` and `services:` with one service']],
    ['an unknown alert channel type', 'version: 1\nalerts:\n  channels:\n    pager: { type: pagerduty }\nservices: {}\n', ['alerts.channels.pager.type: type must be one of: discord, email, log, webhook, alertmanager, slack, telegram, ntfy (line 4)']],
    ['a telegram channel without bot_token', channel('tg: { type: telegram, chat_id: -1001234567890 }'), ['alerts.channels.tg.bot_token: required: the token @BotFather gave the bot, e.g. "${TELEGRAM_BOT_TOKEN}" (line 4)']],
    ['a telegram bot_token that is no bot token', channel('tg: { type: telegram, bot_token: "abc123", chat_id: 42 }'), ['alerts.channels.tg.bot_token: expected a bot token such as "123456789:AAE…" (from @BotFather) (line 4)']],
    ['a telegram chat_id that is no chat', channel('tg: { type: telegram, bot_token: "1:A", chat_id: "ops team" }'), ["alerts.channels.tg.chat_id: expected a chat id (a number such as -1001234567890) or a channel's @username (line 4)"]],
    ['a telegram chat_id that is a fraction', channel('tg: { type: telegram, bot_token: "1:A", chat_id: 1.5 }'), ["alerts.channels.tg.chat_id: expected a chat id (a number such as -1001234567890) or a channel's @username (line 4)"]],
    ['a slack webhook_url that is no URL', channel('team: { type: slack, webhook_url: "hooks.slack.com/services/T1/B2/x" }'), ['alerts.channels.team.webhook_url: not a URL: add https:// (https://hooks.slack.com/services/T1/B2/x) (line 4)']],
    ['an ntfy url without a topic', channel('push: { type: ntfy, url: "https://ntfy.sh/" }'), ['alerts.channels.push.url: expected the topic\'s URL, such as https://ntfy.sh/my-alerts (a topic is 1 to 64 letters, digits, "-" or "_") (line 4)']],
    ['an ntfy token beside user and password', channel('push: { type: ntfy, url: "https://ntfy.sh/ops", token: "tk_1", user: u, password: p }'), ['alerts.channels.push.token: token and user/password are two ways to log in: keep one (line 4)']],
    ['an ntfy user without a password', channel('push: { type: ntfy, url: "https://ntfy.sh/ops", user: u }'), ['alerts.channels.push.password: required with user (or log in with token instead) (line 4)']],
    ['a webhook template with an unknown field', channel(`hook: { type: webhook, url: "https://example.com/h", template: '{"s":"{{servce}}"}' }`), [`alerts.channels.hook.template: unknown field {{servce}}: the fields are ${TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(', ')} (line 4)`]],
    ['a webhook template that is not JSON', channel(`hook: { type: webhook, url: "https://example.com/h", template: '{"text": {{text}}}' }`), ['alerts.channels.hook.template: is not JSON once filled in: put each field inside quotes ("text": "{{text}}"; values are escaped), or set content_type for a body that is not JSON (line 4)']],
    ['a webhook content_type without a template', channel('hook: { type: webhook, url: "https://example.com/h", content_type: text/plain }'), ["alerts.channels.hook.content_type: is the type of a template's body, and there is no template: add template, or remove content_type (line 4)"]],
  ])('%s', (_what, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });

  it('reports every problem of a file at once', () => {
    const problems = problemsOf(service('    checks: [ { type: port, port: 0 }, { type: http, url: nope } ]\n    restart: { type: launchd, label: "x y" }\n'));
    expect(problems).toHaveLength(3);
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('version: 1\nservices:\n  api: { checks: [ }\n');
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/^manifest: YAML .+ \(line 3\)$/);
  });

  it('refuses binary junk in one line', () => {
    expect(problemsOf('version: 1\u0000\u0001\u0002')).toEqual(['manifest: the file holds binary data (a NUL byte), not YAML']);
  });
});

describe('reading the file', () => {
  it('says when the file does not exist', async () => {
    const missing = join(tmpdir(), 'heal-no-such-dir', 'services.yaml');
    await expect(loadManifest(missing, {})).rejects.toThrow(`${missing}: not found: create it, or pass --config FILE / set HEAL_CONFIG`);
  });

  it('refuses a file over 1 MiB', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'heal-manifest-'));
    const path = join(dir, 'services.yaml');
    await writeFile(path, `version: 1\nservices: {}\n#${'x'.repeat(1024 * 1024)}\n`);
    await expect(loadManifest(path, {})).rejects.toThrow(/larger than the 1 MiB a manifest may be/);
  });
});
