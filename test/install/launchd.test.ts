/**
 * The LaunchAgent plist, rendered from launchd/heal.plist.template and read back by a real plist
 * parser (python3's plistlib).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LAUNCHD_LABEL,
  fillTemplate,
  launchctlLoadLines,
  launchdLogPaths,
  plistPath,
  renderPlist,
  xmlEscape,
  type PlistOptions,
} from '../../src/install/launchd.js';
import { plistTemplateUrl, schedulePath } from '../../src/install/paths.js';
import { exampleJob, parsePlist } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const template = (): Promise<string> => readFile(plistTemplateUrl(), 'utf8');

/** The inputs the checked-in example launchd/com.heal.scan.plist is rendered from. */
function exampleOptions(): PlistOptions {
  const logs = launchdLogPaths('/Users/you', DEFAULT_LAUNCHD_LABEL);
  const job = exampleJob('/Users/you');
  return { ...job, path: schedulePath(job.node, { homebrew: true }), label: DEFAULT_LAUNCHD_LABEL, stdout: logs.stdout, stderr: logs.stderr };
}

describe('the launchd plist', () => {
  it('finds the template in the package folder, next to src/ and dist/', () => {
    expect(fileURLToPath(plistTemplateUrl())).toBe(join(ROOT, 'launchd', 'heal.plist.template'));
  });

  it('holds exactly Label, ProgramArguments, StartInterval, RunAtLoad, AbandonProcessGroup, LimitLoadToSessionType, EnvironmentVariables and the two log paths', async () => {
    const plist = await parsePlist(renderPlist(await template(), exampleOptions()));
    expect(plist).toEqual({
      Label: 'com.heal.scan',
      ProgramArguments: ['/usr/local/bin/node', '/usr/local/lib/node_modules/heal/dist/cli.js', 'scan', '--config', '/Users/you/services.yaml'],
      StartInterval: 300,
      RunAtLoad: true,
      AbandonProcessGroup: true,
      LimitLoadToSessionType: ['Aqua', 'Background'],
      EnvironmentVariables: { PATH: '/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin' },
      StandardOutPath: '/Users/you/Library/Logs/heal/com.heal.scan.out.log',
      StandardErrorPath: '/Users/you/Library/Logs/heal/com.heal.scan.err.log',
    });
    // KeepAlive would restart the finished scan every 10 s; ProcessType Background would throttle
    // every service a scan starts (test/install/launchd-job.test.ts plays both back).
    expect(plist).not.toHaveProperty('KeepAlive');
    expect(plist).not.toHaveProperty('ProcessType');
  });

  it.each([
    ['/opt/homebrew/bin/node', '/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'],
    ['/usr/local/bin/node', '/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin'],
    ['/Users/you/.nvm/versions/node/v22.1.0/bin/node', '/Users/you/.nvm/versions/node/v22.1.0/bin:/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'],
  ])('gives the job a PATH with node %s\'s folder and Homebrew\'s (Apple silicon, Intel): %s', (node, path) => {
    expect(schedulePath(node, { homebrew: true })).toBe(path);
  });

  it('renders the checked-in example launchd/com.heal.scan.plist byte for byte, so the example never goes stale', async () => {
    const example = await readFile(join(ROOT, 'launchd', 'com.heal.scan.plist'), 'utf8');
    expect(renderPlist(await template(), exampleOptions())).toBe(example);
  });

  it('carries paths with spaces, &, <, >, quotes and apostrophes through XML escaping unchanged', async () => {
    const odd = `/Users/Jane Doe/R&D <stuff> "quoted" it's`;
    const node = `${odd}/bin/node`;
    const options: PlistOptions = {
      ...exampleOptions(),
      label: 'com.example.heal-r_d.2',
      node,
      cli: `${odd}/heal/dist/cli.js`,
      config: `${odd}/services & more.yaml`,
      path: schedulePath(node),
      intervalSeconds: 3_600,
      ...launchdLogPaths(odd, 'com.example.heal-r_d.2'),
    };
    const xml = renderPlist(await template(), options);
    expect(xml).toContain('R&amp;D &lt;stuff&gt; &quot;quoted&quot; it&apos;s');
    const plist = await parsePlist(xml);
    expect(plist['Label']).toBe('com.example.heal-r_d.2');
    expect(plist['ProgramArguments']).toEqual([node, `${odd}/heal/dist/cli.js`, 'scan', '--config', `${odd}/services & more.yaml`]);
    expect(plist['StartInterval']).toBe(3_600);
    expect(plist['EnvironmentVariables']).toEqual({ PATH: `${odd}/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin` });
    expect(plist['StandardOutPath']).toBe(`${odd}/Library/Logs/heal/com.example.heal-r_d.2.out.log`);
    expect(plist['StandardErrorPath']).toBe(`${odd}/Library/Logs/heal/com.example.heal-r_d.2.err.log`);
  });

  it.each([
    ['a & b', 'a &amp; b'],
    ['<x>', '&lt;x&gt;'],
    [`"it's"`, '&quot;it&apos;s&quot;'],
    ['&amp;', '&amp;amp;'],
    ['plain/path', 'plain/path'],
  ])('escapes %j as %j', (text, escaped) => {
    expect(xmlEscape(text)).toBe(escaped);
  });

  it('refuses a template placeholder without a value, and a value without a placeholder', () => {
    expect(() => fillTemplate('<string>{{label}}</string><string>{{nope}}</string>', { label: 'x' })).toThrow('no value for {{nope}}');
    expect(() => fillTemplate('<string>{{label}}</string>', { label: 'x', extra: 'y' })).toThrow('no placeholder for {{extra}}');
  });

  it('lives at ~/Library/LaunchAgents/<label>.plist', () => {
    expect(plistPath('/Users/you', 'com.heal.scan')).toBe('/Users/you/Library/LaunchAgents/com.heal.scan.plist');
  });
});

describe('the launchctl lines printed after writing', () => {
  it.each(['gui/501', 'user/501'])('bootstraps a new plist into the domain that exists: %s', (domain) => {
    expect(launchctlLoadLines(domain, 'com.heal.scan', '/Users/you/Library/LaunchAgents/com.heal.scan.plist', false)).toEqual([
      `launchctl bootstrap ${domain} /Users/you/Library/LaunchAgents/com.heal.scan.plist`,
    ]);
  });

  it('boots out the earlier job first when a plist was replaced, and quotes a path with spaces for the shell', () => {
    expect(launchctlLoadLines('gui/501', 'com.heal.scan', "/Users/Jane Doe's/Library/LaunchAgents/com.heal.scan.plist", true)).toEqual([
      'launchctl bootout gui/501/com.heal.scan',
      `launchctl bootstrap gui/501 '/Users/Jane Doe'\\''s/Library/LaunchAgents/com.heal.scan.plist'`,
    ]);
  });
});
