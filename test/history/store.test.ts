/**
 * The history on disk: appended a line per scan into a file per UTC day, a torn last line
 * skipped, the days before compressed and those past `keep` deleted on a day's first append, and
 * a disk that refuses the append (a real tiny tmpfs, full or read-only) leaving the file as it was.
 * Fixed instants only: `t` and `now` are given, never read from the clock.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { encodeRecord, type HistoryRecord } from '../../src/history/record.js';
import { recordScan } from '../../src/history/scan.js';
import { ABSENT, historyOf } from '../../src/history/series.js';
import { appendRecord, historyDir, readHistory } from '../../src/history/store.js';
import { waitFor } from '../helpers/cli.js';
import { CAN_MOUNT, tinyFs } from '../reliability/tiny-fs.js';
import { prng } from '../reliability/support.js';
import { capturingLogger, exited, freshDir } from '../state/helpers.js';
import { DAY, HOUR, MIN, rec, T0, type ScanSpec } from './fixtures.js';

const KEEP = 30 * DAY;
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await freshDir('heal-history-')));
afterEach(async () => cleanup());

/** Appends `record` at its own time, as a scan does. */
const append = (record: HistoryRecord, keepMs = KEEP) => appendRecord(dir, record, { keepMs, now: record.t });
const files = async () => (await readdir(historyDir(dir))).sort();
const times = async () => (await readHistory(dir)).history.t;

describe('appending', () => {
  it('writes one line per scan into the day\'s file, 0600 in a folder 0700, and reads them back oldest first', async () => {
    await append(rec(T0 + HOUR, { api: 'up' }));
    await append(rec(T0 + 2 * HOUR, { api: 'down' }));
    expect(await files()).toEqual(['2026-11-22.jsonl']);
    expect(await mode(historyDir(dir))).toBe(0o700);
    expect(await mode(join(historyDir(dir), '2026-11-22.jsonl'))).toBe(0o600);
    const text = await readFile(join(historyDir(dir), '2026-11-22.jsonl'), 'utf8');
    expect(text).toBe(`${encodeRecord(rec(T0 + HOUR, { api: 'up' }))}\n${encodeRecord(rec(T0 + 2 * HOUR, { api: 'down' }))}\n`);
    const { history, problems } = await readHistory(dir);
    expect(problems).toEqual([]);
    expect(history).toEqual(historyOf([rec(T0 + HOUR, { api: 'up' }), rec(T0 + 2 * HOUR, { api: 'down' })]));
  });

  it('a history that was never written reads as empty', async () => {
    expect(await readHistory(join(dir, 'nothing-here'))).toEqual({ history: { t: [], durationMs: [], services: new Map() }, problems: [] });
  });

  it('a torn last line (a writer killed mid-append) is skipped, and the next scan starts a line of its own', async () => {
    await append(rec(T0 + HOUR, { api: 'up' }));
    const file = join(historyDir(dir), '2026-11-22.jsonl');
    const whole = encodeRecord(rec(T0 + 2 * HOUR, { api: 'down' }));
    await appendFile(file, whole.slice(0, 20));
    expect(await times()).toEqual([T0 + HOUR]);
    await append(rec(T0 + 3 * HOUR, { api: 'up' }));
    expect(await times()).toEqual([T0 + HOUR, T0 + 3 * HOUR]);
    expect((await readFile(file, 'utf8')).split('\n')).toEqual([encodeRecord(rec(T0 + HOUR, { api: 'up' })), whole.slice(0, 20), encodeRecord(rec(T0 + 3 * HOUR, { api: 'up' })), '']);
  });

  it('zeros at the end of a file (a power cut) are no record either', async () => {
    await append(rec(T0 + HOUR, { api: 'up' }));
    await appendFile(join(historyDir(dir), '2026-11-22.jsonl'), Buffer.alloc(300));
    await append(rec(T0 + 2 * HOUR, { api: 'up' }));
    expect(await times()).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
  });

  it('reads only the scans from `since` on', async () => {
    for (let day = 0; day < 4; day++) await append(rec(T0 + day * DAY + HOUR, { api: 'up' }));
    expect((await readHistory(dir, { since: T0 + 2 * DAY })).history.t).toEqual([T0 + 2 * DAY + HOUR, T0 + 3 * DAY + HOUR]);
  });
});

describe('a writer killed mid-append', () => {
  it('loses at most the line it was writing: every other line reads, and the next append starts a line of its own', async () => {
    // The real appendRecord, bundled for a child process (Node 20 runs no TypeScript).
    const bundle = join(dir, 'store.mjs');
    await build({ entryPoints: [join(import.meta.dirname, '../../src/history/store.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'warning' });
    const writer = join(dir, 'writer.mjs');
    // Lines of some 12 kB (several pages), appended as fast as it can until it is killed.
    await writeFile(writer, `import { appendRecord } from ${JSON.stringify(bundle)};
const names = Array.from({ length: 600 }, (_, i) => 'service-' + i);
for (let t = Number(process.argv[2]); ; t++) {
  await appendRecord(process.argv[3], { t, durationMs: 1, services: new Map(names.map((n) => [n, { status: 'up', latencyMs: [12, 345], alerts: 0 }])) }, { keepMs: 1e12, now: t });
}
`);
    const rng = prng(1717);
    const kills = 12;
    const file = join(historyDir(dir), '2026-11-22.jsonl');
    const size = () => stat(file).then((info) => info.size, () => 0);
    for (let k = 0; k < kills; k++) {
      const before = await size();
      const child = spawn(process.execPath, [writer, String(T0 + k * 1_000_000), dir], { stdio: 'ignore' });
      // Once it writes (a loaded machine starts node slowly), a random moment later.
      await waitFor(async () => (await size()) > before, 20_000);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(rng.next() * 60)));
      child.kill('SIGKILL');
      await exited(child);
    }
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    const torn = lines.filter((line) => !line.endsWith('}}'));
    const { history, problems } = await readHistory(dir);
    console.log(`${kills} kills: ${lines.length} lines, ${torn.length} torn, ${history.t.length} scans read`);
    expect(problems).toEqual([]);
    expect(torn.length).toBeLessThanOrEqual(kills);
    expect(history.t).toHaveLength(lines.length - torn.length);
    expect(history.services.size).toBe(600);
    expect([...history.services.values()].every((s) => !s.status.includes(ABSENT))).toBe(true);
    await append(rec(T0 + DAY - 1, { api: 'up' }));
    expect((await readHistory(dir)).history.t.at(-1)).toBe(T0 + DAY - 1);
  }, 60_000);
});

describe('housekeeping on the first append of a day', () => {
  it('compresses the days before, which read back the same', async () => {
    await append(rec(T0 + HOUR, { api: 'up' }));
    await append(rec(T0 + 2 * HOUR, { api: 'down' }));
    const done = await append(rec(T0 + DAY + HOUR, { api: 'up' }));
    expect(done).toEqual({ compressed: ['2026-11-22'], removed: [], problems: [] });
    expect(await files()).toEqual(['2026-11-22.cols.json.gz', '2026-11-22.jsonl.gz', '2026-11-23.jsonl']);
    expect(gunzipSync(await readFile(join(historyDir(dir), '2026-11-22.jsonl.gz'))).toString()).toBe(
      `${encodeRecord(rec(T0 + HOUR, { api: 'up' }))}\n${encodeRecord(rec(T0 + 2 * HOUR, { api: 'down' }))}\n`,
    );
    expect(await times()).toEqual([T0 + HOUR, T0 + 2 * HOUR, T0 + DAY + HOUR]);
  });

  it('deletes whole days that ended more than keep ago, and only on the day\'s first append', async () => {
    for (let day = 0; day < 5; day++) await append(rec(T0 + day * DAY + HOUR, { api: 'up' }), 2 * DAY);
    // At day 4, 01:00: days 0 and 1 ended more than 2 days ago; day 2 ended 1 h less than that.
    const closed = (days: number[]) => days.flatMap((d) => [`2026-11-${d}.cols.json.gz`, `2026-11-${d}.jsonl.gz`]);
    expect(await files()).toEqual([...closed([24, 25]), '2026-11-26.jsonl']);
    // A later append on the same day does no housekeeping (a healthy scan does not pay for it).
    expect(await append(rec(T0 + 4 * DAY + 2 * HOUR, { api: 'up' }), 2 * DAY)).toBeUndefined();
    expect(await files()).toEqual([...closed([24, 25]), '2026-11-26.jsonl']);
    const done = await append(rec(T0 + 5 * DAY, { api: 'up' }), 2 * DAY);
    expect(done).toEqual({ compressed: ['2026-11-26'], removed: ['2026-11-24.cols.json.gz', '2026-11-24.jsonl.gz'], problems: [] });
    // The columns of a day go with it.
    expect(await files()).toEqual([...closed([25, 26]), '2026-11-27.jsonl']);
  });

  it('a day in both forms (killed between writing the .gz and removing the plain file) reads once, and is merged into one file', async () => {
    await append(rec(T0 + HOUR, { api: 'up' }));
    await append(rec(T0 + DAY + HOUR, { api: 'up' }));
    // As if killed just before removing the plain file, which also got a late line (a clock set back).
    const plain = join(historyDir(dir), '2026-11-22.jsonl');
    await writeFile(plain, `${encodeRecord(rec(T0 + HOUR, { api: 'up' }))}\n${encodeRecord(rec(T0 + 3 * HOUR, { api: 'down' }))}\n`);
    expect(await times()).toEqual([T0 + HOUR, T0 + 3 * HOUR, T0 + DAY + HOUR]);
    await append(rec(T0 + 2 * DAY, { api: 'up' }));
    expect(await files()).toEqual(['2026-11-22.cols.json.gz', '2026-11-22.jsonl.gz', '2026-11-23.cols.json.gz', '2026-11-23.jsonl.gz', '2026-11-24.jsonl']);
    expect(gunzipSync(await readFile(`${plain}.gz`)).toString().trim().split('\n')).toHaveLength(2);
    expect(await times()).toEqual([T0 + HOUR, T0 + 3 * HOUR, T0 + DAY + HOUR, T0 + 2 * DAY]);
  });

  it('a file that does not read is named in problems; the other days still read', async () => {
    await append(rec(T0 + HOUR, { api: 'up' }));
    await mkdir(historyDir(dir), { recursive: true });
    await writeFile(join(historyDir(dir), '2026-11-20.jsonl.gz'), 'not gzip');
    await writeFile(join(historyDir(dir), 'notes.txt'), 'not a day');
    const { history, problems } = await readHistory(dir);
    expect(history.t).toEqual([T0 + HOUR]);
    expect(problems).toEqual([expect.stringMatching(/^cannot read .*2026-11-20\.jsonl\.gz: /)]);
  });
});

describe('thirty days of five-minute scans of fifty services', () => {
  it('take a few MB at most on disk (the days before today compressed), and read back whole', async () => {
    const rng = prng(17);
    const names = Array.from({ length: 50 }, (_, i) => `service-${String(i).padStart(2, '0')}`);
    const keep = 30 * DAY;
    const start = T0;
    let count = 0;
    for (let t = start; t < start + keep; t += 5 * MIN, count++) {
      const services = Object.fromEntries(names.map((name): [string, ScanSpec] => [name, { status: rng.next() < 0.002 ? 'down' : 'up', latencyMs: [Math.floor(rng.next() * 40), Math.floor(rng.next() * 200)] }]));
      await appendRecord(dir, rec(t, services, 150 + Math.floor(rng.next() * 100)), { keepMs: keep, now: t });
    }
    const sizes = await Promise.all((await files()).map(async (name) => (await stat(join(historyDir(dir), name))).size));
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(`history of ${count} scans × 50 services: ${sizes.length} files, ${(total / 1e6).toFixed(2)} MB on disk (today, uncompressed: ${((sizes.at(-1) ?? 0) / 1e3).toFixed(0)} kB)`);
    expect(total).toBeLessThan(4e6);
    expect((await readHistory(dir)).history.t).toHaveLength(count);
  }, 120_000);
});

describe.runIf(CAN_MOUNT)('a disk that refuses the append (a real tiny tmpfs)', () => {
  /** A history folder on a tmpfs, with one day's line already written. */
  async function onTinyFs() {
    // Its own folder, removed after the unmount (hooks run last-in, first-out), not by afterEach before it.
    const own = await freshDir('heal-history-fs-');
    onTestFinished(own.cleanup);
    dir = own.dir;
    const fs = await tinyFs(historyDir(dir));
    await append(rec(T0 + HOUR, { api: 'up' }));
    const file = join(historyDir(dir), '2026-11-22.jsonl');
    return { fs, file, before: await readFile(file, 'utf8') };
  }

  it('full: the append throws ENOSPC and leaves the file as it was, also when part of the line fitted', async () => {
    const { fs, file, before } = await onTinyFs();
    await fs.fill(0);
    // The line is longer than what is left of the file's last page: a part of it is written, then cut off again.
    const long = rec(T0 + 2 * HOUR, Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`service-${i}`, 'up' as const])));
    expect(encodeRecord(long).length).toBeGreaterThan(4096);
    await expect(append(long)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await readFile(file, 'utf8')).toBe(before);
    await expect(append(rec(T0 + 3 * HOUR, { api: 'up' }))).resolves.toBeUndefined(); // a short line still fits the page
    await fs.unfill();
    expect(await times()).toEqual([T0 + HOUR, T0 + 3 * HOUR]);
  });

  it('full or read-only, the scan gets a warning line and a log line, never an error', async () => {
    const { fs } = await onTinyFs();
    await fs.fill(0);
    const { logger, lines } = capturingLogger();
    const report = { durationMs: 5, services: [] };
    // A new day needs a new file: no room for it.
    const full = await recordScan(dir, T0 + DAY, report, [], { keepMs: KEEP, now: T0 + DAY, logger });
    expect(full).toMatch(new RegExp(`^history not recorded: cannot append to ${historyDir(dir)}: ENOSPC: no space left on device.*; the scan went on \\(uptime has a gap for it\\)$`));
    await fs.unfill();
    await fs.readOnly();
    const readOnly = await recordScan(dir, T0 + 2 * HOUR, report, [], { keepMs: KEEP, now: T0 + 2 * HOUR, logger });
    expect(readOnly).toMatch(/^history not recorded: cannot append to .*: EROFS: read-only file system/);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([full, readOnly]);
    await fs.writable();
    expect(await times()).toEqual([T0 + HOUR]);
  });
});
