/**
 * A `log_file` heal cannot use never stops a scan: heal says so in one line on stderr (where,
 * what, the fix), logs to stderr instead, and scans as always.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspace } from '../helpers/cli.js';
import { builtCli } from '../reliability/support.js';
import { CAN_MOUNT, tinyFs } from '../reliability/tiny-fs.js';

const manifest = (logFile: string): string => `version: 1
log_file: ${logFile}
services:
  a:
    checks: [ { type: command, run: [/bin/true] } ]
`;

/** Runs `heal scan` with log_file set up by `prepare`, and checks what the brief promises. */
async function scanWith(prepare: (dir: string) => Promise<string>, said: RegExp): Promise<void> {
  await builtCli();
  const ws = await workspace();
  const logFile = await prepare(ws.dir);
  await ws.write(manifest(logFile));
  const run = await ws.heal('scan');
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^✓ a +up /m);
  const [warning, ...rest] = run.stderr.split('\n').filter(Boolean);
  expect(warning).toMatch(new RegExp(`^heal: log_file ${logFile}: cannot open it \\(${said.source}\\); logging to stderr instead: .+$`));
  const logged = rest.map((line) => JSON.parse(line) as { msg: string });
  expect(logged.map((l) => l.msg)).toContain('scan finished');
}

describe('a log_file heal cannot open', () => {
  it('a folder: warns on stderr, logs there, scans', async () => {
    await scanWith(async (dir) => {
      await mkdir(join(dir, 'logs'));
      return join(dir, 'logs');
    }, /EISDIR: [^)]+/);
  });

  it('a file whose folder is a file: warns on stderr, logs there, scans', async () => {
    await scanWith(async (dir) => {
      await writeFile(join(dir, 'logs'), '');
      return join(dir, 'logs', 'heal.log');
    }, /EEXIST: [^)]+/);
  });

  it.runIf(CAN_MOUNT)('a file on a read-only disk: warns on stderr, logs there, scans', async () => {
    await scanWith(async (dir) => {
      const fs = await tinyFs(join(dir, 'ro'));
      await fs.readOnly();
      return join(fs.dir, 'logs', 'heal.log');
    }, /EROFS: [^)]+/);
  });
});
