import { spawn } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealError } from '../../src/common/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import type { z } from 'zod';
import { emptyState, stateSchema, type State } from '../../src/state/schema.js';
import { ensureStateDir, loadState, saveState, stateFile } from '../../src/state/store.js';
import { ageFile, capturingLogger, deadPid, exited, freshDir } from './helpers.js';

const NOW = Date.parse('2026-11-22T12:30:00.123Z');
const CORRUPT_NAME = 'state.json.corrupt-2026-11-22T12-30-00-123Z';

/** A state with `services` entries, completed with the schema's defaults (as a load returns it). */
function sampleState(services = 1, marker = 0): State {
  const state: z.input<typeof stateSchema> = { version: 1, services: {} };
  state.lastScan = { startedAt: NOW, durationMs: 412, exitCode: 0 };
  for (let i = 0; i < services; i++) {
    state.services[`svc-${i}`] = {
      status: i % 2 === 0 ? 'up' : 'down',
      since: NOW - i,
      lastScanAt: NOW,
      failingScans: marker,
      healthyScans: 0,
      checks: [{ name: 'port 3002', ok: true, latencyMs: 3 }],
      heals: [{ at: NOW - 60_000, result: 'failed', error: 'exit 1: address already in use' }],
    };
  }
  return stateSchema.parse(state);
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await freshDir()));
afterEach(async () => cleanup());

describe('saveState', () => {
  it('writes state.json 0600 inside a state directory it creates 0700', async () => {
    const stateDir = join(dir, 'nested', 'heal');
    await saveState(stateDir, sampleState());
    expect(await mode(stateDir)).toBe(0o700);
    expect(await mode(stateFile(stateDir))).toBe(0o600);
  });

  it('tightens a group- or world-accessible state directory to 0700', async () => {
    await chmod(dir, 0o755);
    await saveState(dir, sampleState());
    expect(await mode(dir)).toBe(0o700);
  });

  it('round-trips a state through loadState', async () => {
    const state = sampleState(3);
    await saveState(dir, state);
    expect(await loadState(dir, silentLogger())).toEqual(state);
  });

  it('round-trips the process a detached start made, beside a service from before it was kept (which has none)', async () => {
    const state = sampleState(2);
    state.services['svc-0'] = { ...state.services['svc-0']!, process: { pid: 4242, start: '123456', boot: 'b0a1', pidns: 'pid:[4026531836]' } };
    await saveState(dir, state);
    const loaded = await loadState(dir, silentLogger());
    expect(loaded).toEqual(state);
    expect(loaded.services['svc-1']).not.toHaveProperty('process');
  });

  it('overwrites the previous state and leaves no temp file behind', async () => {
    await saveState(dir, sampleState(1, 1));
    await saveState(dir, sampleState(2, 2));
    expect(await readdir(dir)).toEqual(['state.json']);
    expect(await loadState(dir, silentLogger())).toEqual(sampleState(2, 2));
  });

  it('removes temp files left by writers that were killed mid-save', async () => {
    const ofDeadWriter = join(dir, `state.json.tmp-${await deadPid()}-0badc0ffee`);
    const oldOfLiveWriter = join(dir, `state.json.tmp-${process.ppid}-0123456789ab`);
    await writeFile(ofDeadWriter, '{"version":1,"serv');
    await writeFile(oldOfLiveWriter, '{"vers');
    await ageFile(oldOfLiveWriter, 3_600_000, dir); // by the file system's clock, which heal compares it with

    await saveState(dir, sampleState());
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('ignores a leftover temp file when loading', async () => {
    await saveState(dir, sampleState());
    await writeFile(join(dir, `state.json.tmp-${process.pid}-abcdef`), 'half a fi');
    expect(await loadState(dir, silentLogger())).toEqual(sampleState());
  });

  it('refuses a state that does not match the schema and keeps the old file intact', async () => {
    await saveState(dir, sampleState());
    const before = await readFile(stateFile(dir), 'utf8');
    const bad = { ...sampleState(), version: 2 } as unknown as State;
    await expect(saveState(dir, bad)).rejects.toBeInstanceOf(HealError);
    expect(await readFile(stateFile(dir), 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('fails with a HealError when the state directory is a file', async () => {
    const notADir = join(dir, 'file');
    await writeFile(notADir, '');
    await expect(saveState(notADir, sampleState())).rejects.toMatchObject({ name: 'HealError', code: 'state' });
  });

  it('keeps the old file whole until the rename: a reader in another process only ever sees complete JSON', async () => {
    // Big enough that a non-atomic write would be seen half-written.
    const shapes = [sampleState(300, 1), sampleState(40, 2)];
    await saveState(dir, shapes[0]!);
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const file = process.argv[1];
         const end = Date.now() + 1500;
         let reads = 0, bad = 0, missing = 0; const sizes = new Set();
         while (Date.now() < end) {
           let text;
           try { text = fs.readFileSync(file, 'utf8'); } catch { missing++; continue; }
           reads++;
           try { sizes.add(Object.keys(JSON.parse(text).services).length); } catch { bad++; }
         }
         process.stdout.write(JSON.stringify({ reads, bad, missing, sizes: [...sizes] }));`,
        stateFile(dir),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    reader.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const done = exited(reader);
    let finished = false;
    void done.then(() => (finished = true));

    let saves = 0;
    while (!finished) await saveState(dir, shapes[++saves % 2]!);
    await done;

    const seen = JSON.parse(output) as { reads: number; bad: number; missing: number; sizes: number[] };
    expect(seen).toMatchObject({ bad: 0, missing: 0 });
    expect(seen.reads).toBeGreaterThan(50);
    expect(saves).toBeGreaterThan(10);
    expect(seen.sizes.every((n) => n === 300 || n === 40)).toBe(true);
    expect(await readdir(dir)).toEqual(['state.json']);
  });
});

describe('ensureStateDir', () => {
  it('creates the directory 0700 and leaves an existing private one alone', async () => {
    const stateDir = join(dir, 'a', 'b');
    await ensureStateDir(stateDir);
    expect(await mode(stateDir)).toBe(0o700);
    await ensureStateDir(stateDir);
    expect(await mode(stateDir)).toBe(0o700);
  });
});

describe('loadState', () => {
  it('starts from an empty state when there is no state file, without a warning', async () => {
    const { logger, lines } = capturingLogger();
    expect(await loadState(dir, logger)).toEqual(emptyState());
    expect(lines).toEqual([]);
  });

  it('starts from an empty state when the state directory does not exist yet', async () => {
    expect(await loadState(join(dir, 'missing'), silentLogger())).toEqual(emptyState());
  });

  it.each([
    ['an empty file', Buffer.from('')],
    ['a file of whitespace', Buffer.from('  \n')],
    ['truncated JSON', Buffer.from('{"version":1,"services":{"api":{"status":"up","since":17')],
    ['garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x80, 0x0a])],
    ['valid JSON of the wrong shape', Buffer.from('{"version":1,"services":[]}')],
    ['a service entry missing fields', Buffer.from('{"version":1,"services":{"api":{"status":"up"}}}')],
    ['a JSON array', Buffer.from('[1,2,3]')],
    ['a state from a future version', Buffer.from('{"version":99,"services":{}}')],
  ])('moves %s aside with a warning and starts fresh', async (_what, bytes) => {
    await writeFile(stateFile(dir), bytes);
    const { logger, lines } = capturingLogger();

    expect(await loadState(dir, logger, { now: () => NOW })).toEqual(emptyState());

    expect((await readdir(dir)).sort()).toEqual([CORRUPT_NAME]);
    expect(await readFile(join(dir, CORRUPT_NAME))).toEqual(bytes);
    expect(lines).toHaveLength(1);
    const warning = lines[0]!;
    expect(warning).toMatchObject({ level: 40, file: stateFile(dir), movedTo: join(dir, CORRUPT_NAME) });
    expect(warning.msg).toContain(stateFile(dir));
    expect(warning.msg).toContain(join(dir, CORRUPT_NAME));
  });

  it('names the version when a state file comes from a future version', async () => {
    await writeFile(stateFile(dir), '{"version":99,"services":{}}');
    const { logger, lines } = capturingLogger();
    await loadState(dir, logger, { now: () => NOW });
    expect(lines[0]?.reason).toBe('version 99 is not 1');
  });

  it('never overwrites an earlier corrupt file moved aside at the same instant', async () => {
    await writeFile(stateFile(dir), 'first');
    await loadState(dir, silentLogger(), { now: () => NOW });
    await writeFile(stateFile(dir), 'second');
    await loadState(dir, silentLogger(), { now: () => NOW });
    expect((await readdir(dir)).sort()).toEqual([CORRUPT_NAME, `${CORRUPT_NAME}-1`]);
    expect(await readFile(join(dir, CORRUPT_NAME), 'utf8')).toBe('first');
    expect(await readFile(join(dir, `${CORRUPT_NAME}-1`), 'utf8')).toBe('second');
  });

  it('leaves a corrupt file in place when asked to only read, still warning', async () => {
    await writeFile(stateFile(dir), '{"vers');
    const { logger, lines } = capturingLogger();
    expect(await loadState(dir, logger, { readOnly: true })).toEqual(emptyState());
    expect(await readdir(dir)).toEqual(['state.json']);
    expect(lines).toMatchObject([{ level: 40, file: stateFile(dir) }]);
  });

  it('saves normally after recovering from a corrupt file', async () => {
    await writeFile(stateFile(dir), '\u0000\u0000\u0000');
    const state = await loadState(dir, silentLogger(), { now: () => NOW });
    await saveState(dir, { ...state, lastScan: { startedAt: NOW, durationMs: 1, exitCode: 0 } });
    expect((await loadState(dir, silentLogger())).lastScan).toEqual({ startedAt: NOW, durationMs: 1, exitCode: 0 });
  });

  it('fails with a HealError when the state file cannot be read at all', async () => {
    await mkdir(stateFile(dir)); // a directory where the file should be: EISDIR
    await expect(loadState(dir, silentLogger())).rejects.toMatchObject({ name: 'HealError', code: 'state' });
  });
});
