/**
 * How often a scan writes state.json: a healthy scan once (issue 19: the save before the sends
 * is skipped when there is nothing to send). Every save goes through an atomic write, which
 * creates one temp file `state.json.tmp-<pid>-<hex>` and renames it into place: the test counts
 * those temp files as the kernel reports them (inotify through fs.watch), and knows it has every
 * event of a scan once the event of a marker file created after it has arrived.
 */
import { watch } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateSchema } from '../../src/state/schema.js';
import { stateFile } from '../../src/state/store.js';
import { MINUTE, simWorkspace, type SimWorkspace } from '../helpers/sim.js';

const HEALTHY = `version: 1
services:
  api: { checks: [ { type: command, run: ["true"] } ] }
  db: { checks: [ { type: command, run: ["true"] } ] }
`;

const FAILING = `version: 1
alerts:
  levels:
    critical: { threshold: 1, cooldown: 1h, channels: [log] }
  channels:
    log: { type: log }
services:
  api: { checks: [ { type: command, run: ["false"] } ], alert_level: critical }
`;

/** Runs one scan and counts the state saves it made (distinct temp files of state.json). */
async function savesOf(ws: SimWorkspace): Promise<number> {
  await mkdir(ws.stateDir, { recursive: true, mode: 0o700 });
  const temps = new Set<string>();
  let marked: () => void = () => undefined;
  const markerSeen = new Promise<void>((resolve) => (marked = resolve));
  const marker = `marker-${Math.random().toString(16).slice(2)}`;
  const watcher = watch(ws.stateDir, (_event, name) => {
    if (name?.startsWith('state.json.tmp-')) temps.add(name);
    if (name === marker) marked();
  });
  try {
    await ws.scan();
    await writeFile(join(ws.stateDir, marker), '');
    await markerSeen;
  } finally {
    watcher.close();
  }
  return temps.size;
}

describe('the saves of a scan', () => {
  it('a healthy scan writes the state file exactly once, the first scan and the next', async () => {
    const ws = await simWorkspace(HEALTHY);
    expect(await savesOf(ws)).toBe(1);
    ws.clock.advance(5 * MINUTE);
    expect(await savesOf(ws)).toBe(1);
    expect(Object.keys((await ws.state()).services).sort()).toEqual(['api', 'db']);
  });

  it('a scan with a message to send saves before the send and again after (the count sees more than one)', async () => {
    const ws = await simWorkspace(FAILING);
    expect(await savesOf(ws)).toBeGreaterThan(1);
  });

  it('saves, without validating, only what the schema would keep: the file parses to itself', async () => {
    const ws = await simWorkspace(FAILING);
    for (let i = 0; i < 3; i++) {
      await ws.scan();
      ws.clock.advance(5 * MINUTE);
    }
    const { seal, ...saved } = JSON.parse(await readFile(stateFile(ws.stateDir), 'utf8')) as Record<string, unknown>;
    expect(seal).toMatch(/^[0-9a-f]{64}$/);
    expect((saved['alerts'] as { keys: object }).keys).not.toEqual({});
    expect(stateSchema.parse(saved)).toEqual(saved);
  });
});
