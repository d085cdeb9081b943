/**
 * What the install tests share: a real plist parser (python3's plistlib), a small parser for
 * systemd unit files, systemd's ExecStart= unquoting rules as documented, and a fake `crontab`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schedulePath } from '../../src/install/paths.js';
import type { ScanJob } from '../../src/install/target.js';

/**
 * Parses plist XML with python3's plistlib and returns it as JSON values. `plistlib.loads` on the
 * bytes read: `plistlib.load(sys.stdin.buffer)` seeks, which a pipe cannot.
 */
export function parsePlist(xml: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'python3',
      ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'],
      (error, stdout, stderr) => (error ? reject(new Error(`plistlib: ${stderr || error.message}`)) : resolve(JSON.parse(stdout))),
    );
    child.stdin?.end(xml);
  });
}

/** A unit file as sections of keys, each key with every value it was given, in order. */
export type Unit = Record<string, Record<string, string[]>>;

/** Parses systemd's INI-style unit syntax: [Section], Key=Value, comments with # or ;. */
export function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: Record<string, string[]> | undefined;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = unit[header[1] as string] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq <= 0) throw new Error(`unit line ${index + 1} is neither a section nor Key=Value: ${raw}`);
    const key = line.slice(0, eq).trim();
    (section[key] ??= []).push(line.slice(eq + 1).trim());
  }
  return unit;
}

const C_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', "'": "'", s: ' ', n: '\n', t: '\t' };

/**
 * Splits an ExecStart= value into argv the way systemd.service(5) says it does: `%%` → `%`
 * (specifiers, on the whole line), then words split on whitespace with "…" / '…' quoting and C
 * escapes (systemd.syntax(7)), then `$$` → `$` in every word but the executable. Any other
 * specifier or variable fails the test, since heal never means one.
 */
export function unquoteExecStart(value: string): string[] {
  const words: string[] = [];
  const line = value.replace(/%(.)/g, (_m, c: string) => {
    if (c !== '%') throw new Error(`unexpected specifier %${c}`);
    return '%';
  });
  let i = 0;
  while (i < line.length) {
    if (/\s/.test(line[i] as string)) {
      i++;
      continue;
    }
    let word = '';
    const quote = line[i] === '"' || line[i] === "'" ? line[i] : undefined;
    if (quote) i++;
    for (; i < line.length; i++) {
      const c = line[i] as string;
      if (quote ? c === quote : /\s/.test(c)) break;
      if (!quote && (c === '"' || c === "'")) throw new Error(`a quote inside an unquoted word: ${value}`);
      if (c === '\\') {
        const next = line[++i] as string;
        const escaped = C_ESCAPES[next];
        if (escaped === undefined) throw new Error(`unknown escape \\${next}`);
        word += escaped;
      } else {
        word += c;
      }
    }
    if (quote) {
      if (line[i] !== quote) throw new Error(`unbalanced quoting: ${value}`);
      i++;
      if (i < line.length && !/\s/.test(line[i] as string)) throw new Error(`a closing quote must be followed by whitespace: ${value}`);
    }
    words.push(word);
  }
  return words.map((word, index) => {
    if (index === 0) return word;
    if (/\$(?!\$)/.test(word.replace(/\$\$/g, ''))) throw new Error(`unexpected variable in ${word}`);
    return word.replace(/\$\$/g, '$');
  });
}

/** True when a program can be found on PATH. */
export function onPath(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A fake `crontab` in a fresh folder, which stands in for cron's crontab(1): `crontab -l` prints
 * the table kept in FAKE_CRONTAB_FILE, or exits 1 with "no crontab for <user>" when there is none
 * (as cronie and BSD crontab do); `crontab -` replaces the table from stdin. FAKE_CRONTAB_DENY=1
 * makes every call fail like a user cron.deny refuses. Every call's argv is appended to
 * FAKE_CRONTAB_LOG as a JSON line.
 */
export async function fakeCrontab(): Promise<{ bin: string; table: string; log: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'heal-crontab-'));
  const bin = join(dir, 'bin');
  const script = join(bin, 'crontab');
  await mkdir(bin);
  await writeFile(
    script,
    `#!${process.execPath}
// Stands in for cron's crontab(1) in heal's tests.
'use strict';
const fs = require('node:fs');
const args = process.argv.slice(2);
if (process.env.FAKE_CRONTAB_LOG) fs.appendFileSync(process.env.FAKE_CRONTAB_LOG, JSON.stringify(args) + '\\n');
if (process.env.FAKE_CRONTAB_DENY === '1') {
  process.stderr.write('You (tester) are not allowed to use this program (crontab)\\nSee crontab(1) for more information\\n');
  process.exit(1);
}
const file = process.env.FAKE_CRONTAB_FILE;
if (args[0] === '-l' && args.length === 1) {
  if (!fs.existsSync(file)) {
    process.stderr.write('no crontab for tester\\n');
    process.exit(1);
  }
  process.stdout.write(fs.readFileSync(file, 'utf8'));
} else if (args[0] === '-' && args.length === 1) {
  const table = fs.readFileSync(0, 'utf8');
  if (table !== '' && !table.endsWith('\\n')) {
    process.stderr.write('"-":1: premature EOF\\nerrors in crontab file, can\\'t install.\\n');
    process.exit(1);
  }
  fs.writeFileSync(file, table);
} else {
  process.stderr.write('usage: crontab [-l | -] (fake)\\n');
  process.exit(1);
}
`,
  );
  await chmod(script, 0o755);
  return { bin, table: join(dir, 'table'), log: join(dir, 'calls.jsonl'), dir };
}

/** The job every renderer test starts from: an npm-global install run by /usr/local/bin/node every 5 minutes. */
export function exampleJob(home = '/home/you', overrides: Partial<ScanJob> = {}): ScanJob {
  const node = overrides.node ?? '/usr/local/bin/node';
  return {
    node,
    cli: '/usr/local/lib/node_modules/heal/dist/cli.js',
    config: `${home}/services.yaml`,
    path: schedulePath(node),
    intervalSeconds: 300,
    ...overrides,
  };
}
