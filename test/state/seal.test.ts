/**
 * The seal on heal's own state file (src/state/seal.ts): a file heal saved and nobody touched is
 * read as it is, without the schema; every other file — tampered, truncated, hand-edited, sealed
 * by another build — is validated, and moved aside when invalid, exactly as before seals.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyState, type State } from '../../src/state/schema.js';
import { sealedStateText, unsealState } from '../../src/state/seal.js';
import { loadState, saveState, stateFile } from '../../src/state/store.js';
import { capturingLogger, freshDir } from './helpers.js';

const NOW = Date.parse('2026-11-22T12:30:00.123Z');
const CORRUPT_NAME = 'state.json.corrupt-2026-11-22T12-30-00-123Z';

/** A valid state with one service. */
function validState(): State {
  return {
    ...emptyState(),
    lastScan: { startedAt: NOW, durationMs: 12, exitCode: 0 },
    services: {
      api: { status: 'up', since: NOW, lastScanAt: NOW, failingScans: 0, healthyScans: 3, checks: [{ name: 'port 3002', ok: true, latencyMs: 1 }], heals: [], breaker: { state: 'closed', failures: 0 }, recent: 'uuu' },
    },
  };
}

/** The same state, except for a value the schema refuses (a negative count). */
function invalidState(): State {
  const state = validState();
  state.services['api']!.failingScans = -1;
  return state;
}

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await freshDir()));
afterEach(async () => cleanup());

/** Loads with a capturing logger; the state and the warnings. */
async function load(): Promise<{ state: State; warnings: string[] }> {
  const { logger, lines } = capturingLogger();
  const state = await loadState(dir, logger, { now: () => NOW });
  return { state, warnings: lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

describe('a state file heal sealed', () => {
  it('is saved as compact JSON ending in its seal, and reads back equal', async () => {
    await saveState(dir, validState());
    const text = await readFile(stateFile(dir), 'utf8');
    expect(text).toMatch(/^\{"version":1,.*,"seal":"[0-9a-f]{64}"\}\n$/s);
    expect(text).not.toContain('\n  ');
    expect(await load()).toEqual({ state: validState(), warnings: [] });
  });

  it('skips validation when intact: a sealed value the schema would refuse is read as written', async () => {
    // Only heal's own typed code writes sealed files; the refused value shows that no schema ran.
    await writeFile(stateFile(dir), sealedStateText(invalidState()));
    expect(await load()).toEqual({ state: invalidState(), warnings: [] });
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('validates a tampered file (one value changed under its seal) and moves it aside when invalid', async () => {
    await saveState(dir, validState());
    const text = await readFile(stateFile(dir), 'utf8');
    const tampered = text.replace('"failingScans":0', '"failingScans":-1');
    expect(tampered).not.toBe(text);
    await writeFile(stateFile(dir), tampered);

    const { state, warnings } = await load();
    expect(state).toEqual(emptyState());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('does not match the state schema');
    expect((await readdir(dir)).sort()).toEqual([CORRUPT_NAME]);
    expect(await readFile(join(dir, CORRUPT_NAME), 'utf8')).toBe(tampered);
  });

  it('validates a tampered file that is still valid, and reads it as the schema gives it', async () => {
    await saveState(dir, validState());
    const text = await readFile(stateFile(dir), 'utf8');
    await writeFile(stateFile(dir), text.replace('"healthyScans":3', '"healthyScans":4'));
    const { state, warnings } = await load();
    expect(warnings).toEqual([]);
    expect(state.services['api']?.healthyScans).toBe(4);
    expect(state).not.toHaveProperty('seal');
  });

  it.each([
    ['cut in the middle', (t: string) => t.slice(0, Math.floor(t.length / 2))],
    ['cut inside its seal', (t: string) => t.slice(0, t.length - 20)],
  ])('validates a truncated file (%s) and moves it aside', async (_what, cut) => {
    await saveState(dir, validState());
    const truncated = cut(await readFile(stateFile(dir), 'utf8'));
    await writeFile(stateFile(dir), truncated);
    const { state, warnings } = await load();
    expect(state).toEqual(emptyState());
    expect(warnings).toHaveLength(1);
    expect((await readdir(dir)).sort()).toEqual([CORRUPT_NAME]);
  });

  it('validates a file that lost only its last newline (whole JSON still), and reads it', async () => {
    await writeFile(stateFile(dir), sealedStateText(invalidState()).slice(0, -1));
    expect((await load()).warnings[0]).toContain('does not match the state schema');
  });

  it('validates a hand-edited file (pretty-printed by an editor, seal kept) and moves it aside when invalid', async () => {
    await writeFile(stateFile(dir), sealedStateText(invalidState()));
    const edited = `${JSON.stringify(JSON.parse(await readFile(stateFile(dir), 'utf8')), null, 2)}\n`;
    await writeFile(stateFile(dir), edited);
    const { state, warnings } = await load();
    expect(state).toEqual(emptyState());
    expect(warnings[0]).toContain('does not match the state schema');
    expect((await readdir(dir)).sort()).toEqual([CORRUPT_NAME]);
  });

  it('validates a file sealed by another build of heal', async () => {
    const json = JSON.stringify(invalidState());
    const otherSeal = createHash('sha256').update('another build\n').update(json).digest('hex');
    await writeFile(stateFile(dir), `${json.slice(0, -1)},"seal":"${otherSeal}"}\n`);
    const { state, warnings } = await load();
    expect(state).toEqual(emptyState());
    expect(warnings).toHaveLength(1);
  });

  it('validates a file from before seals (pretty JSON, no seal) as before', async () => {
    await writeFile(stateFile(dir), `${JSON.stringify(validState(), null, 2)}\n`);
    expect(await load()).toEqual({ state: validState(), warnings: [] });
  });

  it('unsealState refuses anything but an intact seal, and never throws', () => {
    const text = sealedStateText(validState());
    expect(unsealState(text)).toEqual(validState());
    for (const other of ['', '{}', '{"seal":"x"}\n', text.replace(/"seal":"(.)/, (_m, c: string) => `"seal":"${c === '0' ? '1' : '0'}`), `${text}\n`, ` ${text}`]) {
      expect(unsealState(other)).toBeUndefined();
    }
  });
});
