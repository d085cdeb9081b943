import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { humanLogLine } from '../../src/log/human.js';
import { createLogger } from '../../src/log/logger.js';
import { paint } from '../../src/terminal/colour.js';

/** A logger whose stderr is captured; `human` as on a terminal of `width` columns. */
function captured(human: { colour: boolean; width?: number } | undefined, file?: string) {
  const written: string[] = [];
  const logger = createLogger({
    stderr: { write: (line: string) => void written.push(line) },
    level: 'debug',
    ...(file ? { file } : {}),
    ...(human ? { human: { colour: human.colour, width: () => human.width } } : {}),
  });
  return { logger, written };
}

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('log lines on a terminal', () => {
  it('are short human lines: local time to the second, level, service, message, error', () => {
    const { logger, written } = captured({ colour: false });
    logger.warn({ service: 'api', error: 'exit 1' }, 'restart failed');
    logger.error({ channel: 'discord', err: new Error('socket hang up\n    at stack frames') }, 'alert not delivered');
    logger.info({ manifest: '/x/services.yaml' }, 'scan finished');
    expect(written).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d warn {2}api: restart failed: exit 1\n$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d error discord: alert not delivered: socket hang up\n$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d info {2}scan finished\n$/),
    ]);
  });

  it('are coloured by level when colour is wanted, and wrapped to the width under the text', () => {
    const { logger, written } = captured({ colour: true, width: 40 });
    logger.warn({ service: 'api' }, `the state file is unusable and was moved aside ${'x'.repeat(100)}`);
    const lines = written[0]!.split('\n');
    expect(lines[0]).toMatch(/^\u001b\[2m\d\d:\d\d:\d\d\u001b\[22m \u001b\[33mwarn \u001b\[39m api: the state file is$/);
    expect(lines.slice(1)).toEqual(['               unusable and was moved', `               aside ${'x'.repeat(18)}…`, '']);
  });

  it('show a line that is not pino JSON (heal\'s own problem line) as it is', () => {
    expect(humanLogLine('heal: log_file /x: cannot open it\n', paint(false))).toBe('heal: log_file /x: cannot open it');
  });

  it('stay JSON off a terminal and in a log file', () => {
    const { logger, written } = captured(undefined);
    logger.warn({ service: 'api' }, 'restart failed');
    expect(JSON.parse(written[0]!)).toMatchObject({ level: 40, service: 'api', msg: 'restart failed' });

    const dir = mkdtempSync(join(tmpdir(), 'heal-log-'));
    folders.push(dir);
    const file = join(dir, 'heal.log');
    const onTerminal = captured({ colour: true, width: 40 }, file);
    onTerminal.logger.warn({ service: 'api' }, 'restart failed');
    expect(onTerminal.written).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ level: 40, service: 'api', msg: 'restart failed' });
  });
});
