/**
 * The proposal of heal init and its text: which jobs become services, which are comments, which
 * are left out, and that the text passes heal's own manifest parser with the services intended.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/parse.js';
import { isProposed, propose } from '../../src/init/proposal.js';
import { renderManifest, scalar } from '../../src/init/render.js';
import type { FoundJob } from '../../src/init/types.js';

const job = (overrides: Partial<FoundJob> & Pick<FoundJob, 'id'>): FoundJob => ({ supervisor: 'systemd', own: false, listeners: [], ...overrides });

describe('which jobs are proposed', () => {
  it.each([
    [job({ id: 'web.service', listeners: [{ address: '*', port: 80 }] }), false, true],
    [job({ id: 'worker.service', own: true }), false, true],
    [job({ id: 'ssh.service', listeners: [{ address: '0.0.0.0', port: 22 }] }), false, true],
    [job({ id: 'cups.service', fragment: '/lib/systemd/system/cups.service' }), false, false],
    [job({ id: 'systemd-resolved.service', listeners: [{ address: '127.0.0.53', port: 53 }] }), false, false],
    [job({ id: 'dbus.service', own: true }), false, false],
    [job({ id: 'user@1000.service' }), false, false],
    [job({ id: 'getty@tty1.service' }), false, false],
    [job({ id: 'systemd-journald.service' }), true, true],
    [job({ supervisor: 'launchd', id: 'com.apple.Safari.History', listeners: [{ address: '*', port: 5000 }] }), false, false],
    [job({ supervisor: 'launchd', id: 'com.apple.x' }), true, true],
    [job({ supervisor: 'launchd', id: 'com.example.api', own: true }), false, true],
    [job({ supervisor: 'launchd', id: 'org.example.loaded-elsewhere' }), false, false],
  ])('%j (all: %s): %s', (found, all, proposed) => {
    expect(isProposed(found, all)).toBe(proposed);
  });
});

describe('the proposed manifest', () => {
  const jobs: FoundJob[] = [
    job({ id: 'web-api.service', pid: 412, own: true, fragment: '/etc/systemd/system/web-api.service', about: 'the web API', listeners: [{ address: '127.0.0.1', port: 8080 }, { address: '::1', port: 8080 }, { address: '::1', port: 9090 }] }),
    job({ id: 'Web_API.service', user: true, pid: 500, listeners: [{ address: '0.0.0.0', port: 7000 }] }),
    job({ id: 'quiet.service', pid: 77, own: true, about: 'sleeps\nall day' }),
    job({ id: 'systemd-logind.service', pid: 40, own: false }),
    job({ supervisor: 'launchd', id: 'com.example.proxy', pid: 901, own: true, plist: '/Users/a/Library/LaunchAgents/com.example.proxy.plist', listeners: [{ address: '*', port: 3002 }] }),
  ];
  const health = new Map([
    [8080, '/health'],
    [3002, '/'],
  ]);

  it('has a service per listening job, port checks, http checks where a path answered, the restart, and comments for the rest', () => {
    const proposal = propose(jobs, health, { all: false });
    expect(proposal.leftOut).toBe(1);
    expect(proposal.quiet.map((j) => j.id)).toEqual(['quiet.service']);
    const text = renderManifest(proposal, 'systemd', '2026-12-02');
    const { manifest } = parseManifest(text, {});
    expect(Object.keys(manifest.services)).toEqual(['com.example.proxy', 'web-api', 'web_api']);
    expect(manifest.services['web-api']).toMatchObject({
      checks: [
        { type: 'port', host: '127.0.0.1', port: 8080 },
        { type: 'port', host: '::1', port: 9090 },
        { type: 'http', url: 'http://127.0.0.1:8080/health' },
      ],
      restart: { type: 'systemd', unit: 'web-api.service', user: false },
    });
    expect(manifest.services['web_api']).toMatchObject({ restart: { type: 'systemd', unit: 'Web_API.service', user: true } });
    expect(manifest.services['com.example.proxy']).toMatchObject({
      checks: [{ type: 'port', port: 3002 }, { type: 'http', url: 'http://127.0.0.1:3002/' }],
      restart: { type: 'launchd', label: 'com.example.proxy', plist: '/Users/a/Library/LaunchAgents/com.example.proxy.plist' },
    });
    expect(text).toContain('#   quiet.service (pid 77) — sleeps all day\n');
    expect(text).toContain('# 1 job(s) of the system\'s own');
    expect(text).toMatch(/^# alerts:/m);
  });

  it('lists a listening job whose label heal cannot restart by as a comment, saying why', () => {
    const odd = job({ supervisor: 'launchd', id: 'My Agent', pid: 5, own: true, listeners: [{ address: '*', port: 4000 }] });
    const proposal = propose([odd], new Map(), { all: false });
    expect(proposal.services).toEqual([]);
    const text = renderManifest(proposal, 'launchd', '2026-12-02');
    expect(parseManifest(text, {}).manifest.services).toEqual({});
    expect(text).toContain('#   My Agent (pid 5) listens on 4000: a launchd label may hold only letters, digits, ".", "_" and "-"\n');
  });

  it('is still a valid manifest when nothing listens', () => {
    const text = renderManifest(propose([job({ id: 'quiet.service', own: true })], new Map(), { all: false }), 'systemd', '2026-12-02');
    expect(parseManifest(text, {}).manifest.services).toEqual({});
  });

  it('quotes what YAML or heal would read otherwise', () => {
    expect(scalar('com.example.api')).toBe('com.example.api');
    expect(scalar('/Users/a b/x.plist')).toBe('"/Users/a b/x.plist"');
    expect(scalar('/Users/$HOME/x')).toBe('"/Users/$$HOME/x"');
    expect(scalar('yes')).toBe('"yes"');
    expect(scalar('::1')).toBe('"::1"');
    expect(scalar(8080)).toBe('8080');
  });
});
