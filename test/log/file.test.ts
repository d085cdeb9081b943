import { appendFileSync, chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logFileProblem, openLogFile, rotateLogFile, rotatedFile } from '../../src/log/file.js';
import { createLogger } from '../../src/log/logger.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'heal-log-'));
  file = join(dir, 'heal.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MAX = 1_024;

/** The files of the log folder, each with its content. */
function files(): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** A file of `bytes` bytes that starts with `tag`, so where it went can be told. */
function content(tag: string, bytes: number): string {
  return tag.padEnd(bytes, '.');
}

const big = content('current', MAX + 1);
const small = content('current', 100);

describe('rotateLogFile', () => {
  it.each([
    { case: 'no file', keep: 3, before: {}, rotated: false, after: {} },
    { case: 'a small file', keep: 3, before: { 'heal.log': small }, rotated: false, after: { 'heal.log': small } },
    {
      case: 'a file of exactly max_bytes',
      keep: 3,
      before: { 'heal.log': content('current', MAX) },
      rotated: false,
      after: { 'heal.log': content('current', MAX) },
    },
    { case: 'a big file, no old files', keep: 3, before: { 'heal.log': big }, rotated: true, after: { 'heal.log.1': big } },
    {
      case: 'a big file and .1',
      keep: 3,
      before: { 'heal.log': big, 'heal.log.1': 'one' },
      rotated: true,
      after: { 'heal.log.1': big, 'heal.log.2': 'one' },
    },
    {
      case: 'a big file and .1, .2',
      keep: 3,
      before: { 'heal.log': big, 'heal.log.1': 'one', 'heal.log.2': 'two' },
      rotated: true,
      after: { 'heal.log.1': big, 'heal.log.2': 'one', 'heal.log.3': 'two' },
    },
    {
      case: 'a big file and keep old files (the oldest falls off)',
      keep: 3,
      before: { 'heal.log': big, 'heal.log.1': 'one', 'heal.log.2': 'two', 'heal.log.3': 'three' },
      rotated: true,
      after: { 'heal.log.1': big, 'heal.log.2': 'one', 'heal.log.3': 'two' },
    },
    {
      case: 'a big file and a gap (.2 missing): the oldest still falls off',
      keep: 3,
      before: { 'heal.log': big, 'heal.log.1': 'one', 'heal.log.3': 'three' },
      rotated: true,
      after: { 'heal.log.1': big, 'heal.log.2': 'one' },
    },
    { case: 'keep: 1, no old file', keep: 1, before: { 'heal.log': big }, rotated: true, after: { 'heal.log.1': big } },
    {
      case: 'keep: 1 replaces .1',
      keep: 1,
      before: { 'heal.log': big, 'heal.log.1': 'one' },
      rotated: true,
      after: { 'heal.log.1': big },
    },
    {
      case: 'old files beyond keep (keep was lowered)',
      keep: 2,
      before: { 'heal.log': big, 'heal.log.1': 'one', 'heal.log.2': 'two', 'heal.log.3': 'three', 'heal.log.7': 'seven' },
      rotated: true,
      after: { 'heal.log.1': big, 'heal.log.2': 'one' },
    },
    {
      case: 'files that only look alike',
      keep: 1,
      before: { 'heal.log': big, 'heal.log.old': 'x', 'heal.log.2.gz': 'y', 'other.log.5': 'z' },
      rotated: true,
      after: { 'heal.log.1': big, 'heal.log.old': 'x', 'heal.log.2.gz': 'y', 'other.log.5': 'z' },
    },
  ])('$case (keep $keep)', ({ keep, before, rotated, after }) => {
    for (const [name, text] of Object.entries(before)) writeFileSync(join(dir, name), text, { mode: 0o600 });
    expect(rotateLogFile(file, { maxBytes: MAX, keep })).toEqual({ rotated });
    expect(files()).toEqual(after);
  });

  it('leaves the rotated file 0600 even when the log was not', () => {
    writeFileSync(file, big, { mode: 0o644 });
    chmodSync(file, 0o644);
    rotateLogFile(file, { maxBytes: MAX, keep: 2 });
    expect(mode(rotatedFile(file, 1))).toBe(0o600);
  });

  it('reports a rotation it could not make instead of throwing', () => {
    writeFileSync(file, big);
    // heal.log.1 is a folder with something in it: the rename onto it fails.
    mkdirSync(rotatedFile(file, 1));
    writeFileSync(join(rotatedFile(file, 1), 'x'), 'x');
    const result = rotateLogFile(file, { maxBytes: MAX, keep: 1 });
    expect(result.rotated).toBe(false);
    expect(result.error).toMatch(/^E[A-Z]+: /);
    expect(readFileSync(file, 'utf8')).toBe(big);
  });
});

describe('openLogFile', () => {
  /** Opens, writes `text` through the descriptor, closes; returns the rotation. */
  function openAndWrite(path: string, text: string, rotate?: { maxBytes: number; keep: number }): ReturnType<typeof openLogFile>['rotation'] {
    const { fd, rotation } = openLogFile(path, rotate);
    writeSync(fd, text);
    closeSync(fd);
    return rotation;
  }

  it('makes the folder 0700 and the file 0600, and appends', () => {
    const nested = join(dir, 'logs', 'heal.log');
    openAndWrite(nested, 'one\n');
    openAndWrite(nested, 'two\n');
    expect(mode(join(dir, 'logs'))).toBe(0o700);
    expect(mode(nested)).toBe(0o600);
    expect(readFileSync(nested, 'utf8')).toBe('one\ntwo\n');
  });

  it('starts a new 0600 file after rotating', () => {
    writeFileSync(file, big, { mode: 0o600 });
    expect(openAndWrite(file, '', { maxBytes: MAX, keep: 3 })).toEqual({ rotated: true });
    expect(mode(file)).toBe(0o600);
    expect(statSync(file).size).toBe(0);
    expect(readFileSync(rotatedFile(file, 1), 'utf8')).toBe(big);
  });

  it('never rotates without a rotation', () => {
    writeFileSync(file, big);
    expect(openAndWrite(file, '')).toEqual({ rotated: false });
    expect(readdirSync(dir)).toEqual(['heal.log']);
  });

  it.each([
    ['a folder', () => mkdirSync(file), () => file, 'EISDIR'],
    ['a file under a file', () => writeFileSync(file, ''), () => join(file, 'heal.log'), 'EEXIST'],
    ['a file in a folder under a file', () => writeFileSync(file, ''), () => join(file, 'logs', 'heal.log'), 'ENOTDIR'],
  ])('throws the file system error for %s', (_what, make, path, code) => {
    make();
    expect(() => openLogFile(path())).toThrow(expect.objectContaining({ code }));
  });
});

describe('logFileProblem', () => {
  it.each([
    ['EISDIR', 'open', "EISDIR: illegal operation on a directory, open '/x/heal.log'", 'cannot open it (EISDIR: illegal operation on a directory); logging to stderr instead: it is a folder, name a file (e.g. heal.log inside it)'],
    ['ENOTDIR', 'open', "ENOTDIR: not a directory, open '/x/heal.log'", 'cannot open it (ENOTDIR: not a directory); logging to stderr instead: a part of its path is a file, not a folder: name a file in a folder'],
    ['EACCES', 'open', "EACCES: permission denied, open '/x/heal.log'", 'cannot open it (EACCES: permission denied); logging to stderr instead: heal may not write there: give the user that runs heal write access, or name another file'],
    ['EROFS', 'open', "EROFS: read-only file system, open '/x/heal.log'", 'cannot open it (EROFS: read-only file system); logging to stderr instead: the disk is read-only: name a file on a writable disk'],
    ['ENOSPC', 'write', 'ENOSPC: no space left on device, write', 'cannot write to it (ENOSPC: no space left on device); logging to stderr from here on: the disk is full: free some space, or name a file on another disk'],
    ['EIO', 'write', 'EIO: i/o error, write', 'cannot write to it (EIO: i/o error); logging to stderr from here on: name a file that heal can create and append to'],
  ] as const)('%s on %s: one line with where, what and the fix', (code, when, message, said) => {
    const error = Object.assign(new Error(message), { code });
    expect(logFileProblem('/x/heal.log', error, when)).toBe(`heal: log_file /x/heal.log: ${said}`);
  });
});

describe('createLogger with a log_file it cannot use', () => {
  /** A stand-in for stderr that keeps what is written to it. */
  function capture(): { stream: { write(line: string): void }; text: () => string } {
    let written = '';
    return { stream: { write: (line: string) => void (written += line) }, text: () => written };
  }

  it.each([
    ['a folder', () => mkdirSync(file), () => file, 'EISDIR'],
    ['under a file', () => writeFileSync(file, ''), () => join(file, 'heal.log'), 'EEXIST'],
    ['in a missing folder under a file', () => writeFileSync(file, ''), () => join(file, 'logs', 'heal.log'), 'ENOTDIR'],
  ])('warns in one line on stderr and logs there instead when log_file is %s', (_what, make, path, code) => {
    make();
    const stderr = capture();
    const logger = createLogger({ file: path(), stderr: stderr.stream, secrets: [] });
    logger.info('scan started');
    const [warning, ...rest] = stderr.text().split('\n').filter(Boolean);
    expect(warning).toMatch(new RegExp(`^heal: log_file ${path()}: cannot open it \\(${code}: [^)]+\\); logging to stderr instead: .+$`));
    expect(rest.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['scan started']);
  });

  it('keeps secrets out of the warning line', () => {
    const secretDir = join(dir, 's3cr3t-value');
    mkdirSync(secretDir);
    const stderr = capture();
    createLogger({ file: secretDir, stderr: stderr.stream, secrets: ['s3cr3t-value'] }).info('hi');
    expect(stderr.text()).not.toContain('s3cr3t-value');
    expect(stderr.text()).toContain('[redacted]');
  });

  it('moves to stderr, with one line, when a write to the log file fails, and loses no line', () => {
    // /dev/full: every write fails with ENOSPC, as on a full disk.
    const stderr = capture();
    const logger = createLogger({ file: '/dev/full', stderr: stderr.stream });
    logger.info('first');
    logger.info('second');
    const [warning, ...rest] = stderr.text().split('\n').filter(Boolean);
    expect(warning).toBe('heal: log_file /dev/full: cannot write to it (ENOSPC: no space left on device); logging to stderr from here on: the disk is full: free some space, or name a file on another disk');
    expect(rest.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['first', 'second']);
  });
});

describe('createLogger with rotate', () => {
  function lines(path: string): Record<string, unknown>[] {
    return readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('rotates a big log before the scan writes to it, and writes 0600 files', () => {
    writeFileSync(file, big, { mode: 0o600 });
    createLogger({ file, rotate: { maxBytes: MAX, keep: 3 } }).info('scan started');
    expect(lines(file).map((l) => l['msg'])).toEqual(['scan started']);
    expect(readFileSync(rotatedFile(file, 1), 'utf8')).toBe(big);
    expect(mode(file)).toBe(0o600);
    expect(mode(rotatedFile(file, 1))).toBe(0o600);
  });

  it('appends to a small log', () => {
    createLogger({ file, rotate: { maxBytes: MAX, keep: 3 } }).info('first');
    createLogger({ file, rotate: { maxBytes: MAX, keep: 3 } }).info('second');
    expect(lines(file).map((l) => l['msg'])).toEqual(['first', 'second']);
    expect(existsSync(rotatedFile(file, 1))).toBe(false);
  });

  it('says so in the log when rotation failed, and goes on appending', () => {
    writeFileSync(file, `${JSON.stringify({ msg: 'old' })}\n`.padEnd(MAX + 10, ' '));
    mkdirSync(rotatedFile(file, 1));
    writeFileSync(join(rotatedFile(file, 1), 'x'), 'x');
    createLogger({ file, rotate: { maxBytes: MAX, keep: 1 } }).info('scan started');
    const written = lines(file);
    expect(written.map((l) => l['msg'])).toEqual(['old', 'log rotation failed: appending to the old file', 'scan started']);
    expect(written[1]).toMatchObject({ level: 40, file });
  });
});

describe('a year of scans', () => {
  /** A deterministic sequence of numbers in [0, 1). */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }

  it.each([
    { keep: 3, maxBytes: 4_096 },
    { keep: 1, maxBytes: 2_048 },
  ])('every five minutes for a year never leaves more than keep + 1 files (keep $keep, max_bytes $maxBytes)', ({ keep, maxBytes }) => {
    const scans = 365 * 24 * 12; // 105,120
    const next = random(keep);
    // What one scan may write: one to three lines of 60 to 300 bytes.
    const maxScanBytes = 3 * 300;
    const started = performance.now();
    let rotations = 0;
    let peakFiles = 0;
    let peakBytes = 0;

    const check = (): void => {
      const names = readdirSync(dir);
      const sizes = names.map((name) => statSync(join(dir, name)).size);
      const total = sizes.reduce((a, b) => a + b, 0);
      peakFiles = Math.max(peakFiles, names.length);
      peakBytes = Math.max(peakBytes, total);
      // A file is rotated once past max_bytes, so each holds at most max_bytes plus one scan.
      const fileCap = maxBytes + maxScanBytes;
      if (names.length > keep + 1 || sizes.some((size) => size > fileCap) || total > (keep + 1) * fileCap) {
        expect.fail(`${names.length} files, sizes ${sizes.join(', ')} (each at most ${fileCap}, at most ${keep + 1} files)`);
      }
    };

    let size = 0; // of heal.log, as this loop wrote it
    for (let scan = 0; scan < scans; scan += 1) {
      // The peak is right before a rotation: every old file there and the current one full.
      if (size > maxBytes) check();
      const result = rotateLogFile(file, { maxBytes, keep });
      if (result.error !== undefined || result.rotated !== size > maxBytes) {
        expect.fail(`scan ${scan}: ${JSON.stringify(result)} with heal.log at ${size} bytes`);
      }
      if (result.rotated) {
        rotations += 1;
        size = 0;
      }
      const count = 1 + Math.floor(next() * 3);
      let text = '';
      for (let i = 0; i < count; i += 1) text += `${scan} ${'x'.repeat(60 + Math.floor(next() * 240) - 1 - String(scan).length - 1)}\n`;
      appendFileSync(file, text, { mode: 0o600 });
      size += text.length;
    }
    check();

    expect(rotations).toBeGreaterThan(1_000);
    expect(peakFiles).toBe(keep + 1);
    expect(peakBytes).toBeGreaterThan(keep * maxBytes);
    // The newest lines are in heal.log, the ones before in heal.log.1, and so on.
    const last = readFileSync(file, 'utf8').trim().split('\n').at(-1);
    expect(last?.startsWith(`${scans - 1} `)).toBe(true);
    for (const name of readdirSync(dir)) expect(mode(join(dir, name))).toBe(0o600);
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 90_000);
});
