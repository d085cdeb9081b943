/**
 * `heal install launchd`: a LaunchAgent plist rendered from launchd/heal.plist.template.
 *
 * The job runs `<node> <dist/cli.js> scan --config <manifest>` with absolute paths (launchd runs
 * jobs with PATH=/usr/bin:/bin:/usr/sbin:/sbin, where `#!/usr/bin/env node` exits 127), and a
 * PATH with node's folder and Homebrew's (/opt/homebrew/bin, /usr/local/bin), every
 * StartInterval seconds and once at load, with no KeepAlive (with it a StartInterval job is
 * restarted every 10 seconds). What a real Mac does shapes the rest (sources in
 * test/fixtures/bin/launchctl, which plays each of them back):
 *
 * - no ProcessType: `Background` throttles the job's CPU and I/O, and every process it starts
 *   inherits that — every service a `command` restart starts would run throttled;
 * - AbandonProcessGroup: when a job's process exits launchd SIGTERMs its process group, which
 *   would take a service a restart command backgrounded with it;
 * - LimitLoadToSessionType [Aqua, Background]: a Mac reached only over SSH has no `gui/<uid>`
 *   domain, and `user/<uid>` (the Background session) takes only a plist that allows it.
 *
 * Its stdout and stderr go to `~/Library/Logs/heal/<label>.out.log` and `.err.log`, where
 * Console.app finds them; launchd does not create that folder, so `heal install launchd` does.
 */
import { join } from 'node:path';
import { HealError } from '../common/errors.js';
import { describeInterval } from './interval.js';
import { shellQuote } from '../common/shell.js';
import type { ScanJob } from './target.js';

/** @default the label of the LaunchAgent */
export const DEFAULT_LAUNCHD_LABEL = 'com.heal.scan';

export type PlistOptions = ScanJob & {
  label: string;
  /** Absolute path of the job's stdout file. */
  stdout: string;
  /** Absolute path of the job's stderr file. */
  stderr: string;
};

/** The LaunchAgents folder and the plist's path in it. */
export function plistPath(home: string, label: string): string {
  return join(home, 'Library', 'LaunchAgents', `${label}.plist`);
}

/** Where the job's output goes: `~/Library/Logs/heal/<label>.out.log` and `<label>.err.log`. */
export function launchdLogPaths(home: string, label: string): { dir: string; stdout: string; stderr: string } {
  const dir = join(home, 'Library', 'Logs', 'heal');
  return { dir, stdout: join(dir, `${label}.out.log`), stderr: join(dir, `${label}.err.log`) };
}

/** Escapes text for an XML element or attribute value. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c] as string);
}

const XML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Fills `{{name}}` placeholders with XML-escaped values. Every placeholder must have a value and
 * every value a placeholder, so the template and this code cannot drift apart unnoticed.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const text = template.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new HealError('internal', `plist template: no value for {{${name}}}`);
    used.add(name);
    return xmlEscape(value);
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length) throw new HealError('internal', `plist template: no placeholder for ${unused.map((n) => `{{${n}}}`).join(', ')}`);
  return text;
}

/** The plist text for these options, from the template's text. */
export function renderPlist(template: string, options: PlistOptions): string {
  return fillTemplate(template, {
    label: options.label,
    node: options.node,
    cli: options.cli,
    config: options.config,
    interval: String(options.intervalSeconds),
    every: describeInterval(options.intervalSeconds),
    path: options.path,
    stdout: options.stdout,
    stderr: options.stderr,
  });
}

/**
 * The launchctl lines that load the plist into `domain` (`gui/<uid>` or `user/<uid>`):
 * `bootout <domain>/<label>` first when an earlier plist was replaced (it may be loaded, and
 * bootstrap refuses a loaded label with exit 5), then `bootstrap <domain> <plist>`.
 */
export function launchctlLoadLines(domain: string, label: string, plist: string, replacing: boolean): string[] {
  const lines = [`launchctl bootstrap ${domain} ${shellQuote(plist)}`];
  return replacing ? [`launchctl bootout ${domain}/${label}`, ...lines] : lines;
}
