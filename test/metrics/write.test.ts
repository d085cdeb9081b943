import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METRICS_FILE_MODE, writeMetricsFile } from '../../src/metrics/write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-metrics-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `body` with the process umask set to `mask`, then puts it back. */
async function withUmask<T>(mask: number, body: () => Promise<T>): Promise<T> {
  const previous = process.umask(mask);
  try {
    return await body();
  } finally {
    process.umask(previous);
  }
}

describe('writeMetricsFile', () => {
  it('writes the text, readable by everyone (0644) even under a strict umask', async () => {
    const file = join(dir, 'heal.prom');
    const result = await withUmask(0o077, () => writeMetricsFile(file, 'heal_up 1\n'));
    expect(result).toEqual({ ok: true });
    expect(await readFile(file, 'utf8')).toBe('heal_up 1\n');
    expect((await stat(file)).mode & 0o777).toBe(METRICS_FILE_MODE);
  });

  it('creates missing folders, each 0755 so node_exporter can reach the file', async () => {
    const file = join(dir, 'textfile', 'collector', 'heal.prom');
    expect(await withUmask(0o077, () => writeMetricsFile(file, 'x 1\n'))).toEqual({ ok: true });
    expect((await stat(join(dir, 'textfile'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'textfile', 'collector'))).mode & 0o777).toBe(0o755);
    expect((await stat(dir)).mode & 0o777).toBe(0o700); // a folder it did not create is left alone
  });

  it('replaces the file by renaming a temp file from the same folder over it, leaving nothing else', async () => {
    const file = join(dir, 'heal.prom');
    await writeMetricsFile(file, 'first 1\n');
    const before = await stat(file);
    await writeMetricsFile(file, 'second 2\n');
    const after = await stat(file);
    expect(await readFile(file, 'utf8')).toBe('second 2\n');
    expect(after.ino).not.toBe(before.ino); // a new file took its place: never rewritten in place
    expect(await readdir(dir)).toEqual(['heal.prom']);
  });

  it('never leaves a half-written file for a reader, however often it is rewritten', async () => {
    const file = join(dir, 'heal.prom');
    const texts = Array.from({ length: 20 }, (_, n) => `${`scan_${n} ${n}\n`.repeat(2_000)}`);
    await writeMetricsFile(file, texts[0]!);
    let reading = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (reading) seen.add(await readFile(file, 'utf8'));
    })();
    for (const text of texts) expect(await writeMetricsFile(file, text)).toEqual({ ok: true });
    reading = false;
    await reader;
    for (const text of seen) expect(texts).toContain(text);
  });

  it('removes a temp file left by a writer that was killed, and never names one *.prom', async () => {
    const leftover = join(dir, 'heal.prom.tmp-999999-abcdef012345');
    await writeFile(leftover, 'half');
    await writeMetricsFile(join(dir, 'heal.prom'), 'x 1\n');
    expect(await readdir(dir)).toEqual(['heal.prom']);
  });

  it('says what went wrong, naming the file, instead of throwing', async () => {
    await writeFile(join(dir, 'not-a-folder'), '');
    const file = join(dir, 'not-a-folder', 'heal.prom');
    const result = await writeMetricsFile(file, 'x 1\n');
    expect(result).toEqual({ ok: false, error: expect.stringContaining(`cannot write the metrics file ${file}: `) });
  });
});
