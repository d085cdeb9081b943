/**
 * `heal install launchd`: a LaunchAgent plist rendered from launchd/heal.plist.template.
 *
 * The job runs `<node> <dist/cli.js> scan --config <manifest>` with absolute paths (launchd runs
 * jobs with PATH=/usr/bin:/bin:/usr/sbin:/sbin, where `#!/usr/bin/env node` exits 127), every
 * StartInterval seconds and once at load, as a Background process, with no KeepAlive (with it a
 * StartInterval job is restarted every 10 seconds). Its stdout and stderr go to
 * `~/Library/Logs/heal/<label>.out.log` and `.err.log`, where Console.app finds them; launchd
 * does not create that folder, so `heal install launchd` does.
 */
import { join } from 'node:path';
import { HealError } from '../errors.js';
import { describeInterval } from './interval.js';
import { shellQuote } from './shell.js';
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
 * The launchctl lines that load the plist: `bootout gui/<uid>/<label>` first when an earlier
 * plist was replaced (it may be loaded, and bootstrap refuses a loaded label), then
 * `bootstrap gui/<uid> <plist>`.
 */
export function launchctlLoadLines(uid: number, label: string, plist: string, replacing: boolean): string[] {
  const lines = [`launchctl bootstrap gui/${uid} ${shellQuote(plist)}`];
  return replacing ? [`launchctl bootout gui/${uid}/${label}`, ...lines] : lines;
}
