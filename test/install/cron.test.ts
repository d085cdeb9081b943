/** The crontab line (pure) and how it merges into an existing crontab. */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CRON_MARKER, cronLogFile, cronSchedule, mergeCrontab, renderCronLine, type CronOptions } from '../../src/install/cron.js';
import { schedulePath } from '../../src/install/paths.js';
import { exampleJob } from './helpers.js';

const every = (seconds: number) => ({ seconds, source: `--interval ${seconds}` });

function options(overrides: Partial<CronOptions> = {}): CronOptions {
  return {
    ...exampleJob('/home/you', overrides),
    interval: every(300),
    logFile: cronLogFile('/home/you/.local/state/heal'),
    ...overrides,
  };
}

describe('the cron schedule', () => {
  it.each([
    [60, '* * * * *'],
    [120, '*/2 * * * *'],
    [300, '*/5 * * * *'],
    [600, '*/10 * * * *'],
    [900, '*/15 * * * *'],
    [1_200, '*/20 * * * *'],
    [1_800, '*/30 * * * *'],
    [3_600, '0 * * * *'],
    [7_200, '0 */2 * * *'],
    [21_600, '0 */6 * * *'],
    [43_200, '0 */12 * * *'],
    [86_400, '0 0 * * *'],
  ])('runs every %i s as "%s"', (seconds, schedule) => {
    expect(cronSchedule(every(seconds))).toBe(schedule);
  });

  it('refuses 7 minutes, saying which intervals work', () => {
    expect(() => cronSchedule(every(420))).toThrow(
      expect.objectContaining({
        code: 'usage',
        message: expect.stringMatching(/--interval 420 \(7m\) does not fit cron.*1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 minutes.*300, 360, 600.*1, 2, 3, 4, 6, 8, 12, 24 hours.*launchd and systemd take any interval/),
      }),
    );
  });

  it.each([
    [30, 'under a minute'],
    [90, 'not whole minutes'],
    [2_700, '45 minutes do not divide an hour'],
    [18_000, '5 hours do not divide a day'],
    [172_800, 'two days'],
  ])('refuses %i s (%s)', (seconds) => {
    expect(() => cronSchedule(every(seconds))).toThrow(/does not fit cron/);
  });
});

describe('the crontab line', () => {
  it('runs absolute node and CLI paths with a PATH, appends its output to the log and ends with the marker', () => {
    expect(renderCronLine(options())).toBe(
      '*/5 * * * * PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin /usr/local/bin/node /usr/local/lib/node_modules/heal/dist/cli.js ' +
        'scan --config /home/you/services.yaml >> /home/you/.local/state/heal/cron.log 2>&1 # heal scan (managed by heal install cron)',
    );
  });

  it('writes every % as \\% (cron turns a bare % into a newline) and single-quotes words sh would split', () => {
    const line = renderCronLine(options({ config: "/home/you/100% it's/services.yaml" }));
    expect(line).toContain(`--config '/home/you/100\\% it'\\''s/services.yaml' >>`);
    expect(line.replace(/\\%/g, '')).not.toContain('%');
  });

  describe('run the way cron runs it', () => {
    let dir = '';
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('hands sh the exact argv and PATH, even through a folder named with spaces, quotes, $, & and %', async () => {
      dir = await mkdtemp(join(tmpdir(), 'heal-cron-'));
      const odd = join(dir, `it's 100% "$HOME" & co`);
      await mkdir(join(odd, 'state'), { recursive: true });
      // Stands in for node: records the PATH it got and its arguments, one per line.
      const node = join(odd, 'node');
      await writeFile(node, '#!/bin/sh\nprintf \'%s\\n\' "$PATH" "$@" > "$(dirname "$0")/argv.txt"\necho ran\n');
      await chmod(node, 0o755);
      const cli = join(odd, 'dist', 'cli.js');
      const config = join(odd, 'my services.yaml');
      const logFile = join(odd, 'state', 'cron.log');
      const line = renderCronLine(options({ node, cli, config, path: schedulePath(node), logFile }));

      await runLikeCron(line, dir);

      const argv = (await readFile(join(odd, 'argv.txt'), 'utf8')).split('\n');
      expect(argv).toEqual([`${odd}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`, cli, 'scan', '--config', config, '']);
      expect(await readFile(logFile, 'utf8')).toBe('ran\n');
    });
  });
});

/**
 * Does what cron does with a crontab line: drops the five schedule fields, turns `\%` into `%`
 * (an unescaped `%` would end the command, so the test fails on one), and runs the rest with
 * /bin/sh -c, with cron's PATH.
 */
function runLikeCron(line: string, home: string): Promise<void> {
  const fields = line.split(' ');
  const rest = fields.slice(5).join(' ');
  let command = '';
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '\\' && rest[i + 1] === '%') {
      command += '%';
      i++;
    } else if (rest[i] === '%') {
      throw new Error(`an unescaped % in the crontab line: ${line}`);
    } else {
      command += rest[i];
    }
  }
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { env: { HOME: home, PATH: '/usr/bin:/bin', SHELL: '/bin/sh' } }, (error, _out, stderr) =>
      error ? reject(new Error(`sh: ${stderr || error.message}`)) : resolve(),
    );
  });
}

describe('merging the heal line into a crontab', () => {
  const LINE = `*/5 * * * * /usr/bin/node /opt/heal/dist/cli.js scan --config /etc/heal.yaml >> /var/log/heal.log 2>&1 ${CRON_MARKER}`;
  const OLD = `*/10 * * * * /usr/bin/node /old/cli.js scan --config /etc/heal.yaml ${CRON_MARKER}`;

  it.each([
    ['an empty crontab', '', `${LINE}\n`, false],
    ['a crontab without a heal line (appended, others kept)', 'MAILTO=me\n0 3 * * * /usr/bin/backup\n', `MAILTO=me\n0 3 * * * /usr/bin/backup\n${LINE}\n`, false],
    [
      'a crontab with an old heal line (replaced where it stood)',
      `# my jobs\n0 3 * * * /usr/bin/backup\n${OLD}\n@reboot /usr/bin/hello\n`,
      `# my jobs\n0 3 * * * /usr/bin/backup\n${LINE}\n@reboot /usr/bin/hello\n`,
      true,
    ],
    ['two old heal lines (one kept, replaced)', `${OLD}\n0 3 * * * /usr/bin/backup\n${OLD}\n`, `${LINE}\n0 3 * * * /usr/bin/backup\n`, true],
    ['a table without a final newline', '0 3 * * * /usr/bin/backup', `0 3 * * * /usr/bin/backup\n${LINE}\n`, false],
    ['blank lines and comments (kept)', '\n# comment\n\n', `\n# comment\n\n${LINE}\n`, false],
  ])('into %s', (_what, existing, table, replaced) => {
    expect(mergeCrontab(existing, LINE)).toEqual({ table, replaced });
  });
});
