import { describe, expect, it } from 'vitest';
import { exec } from '../../src/process/exec.js';

describe('exec', () => {
  it('says a command cut by its timeout "timed out after 1s", the words the rest of heal uses', async () => {
    const result = await exec(['sleep', '30'], { timeoutMs: 1_000 });
    expect(result).toMatchObject({ timedOut: true, failure: 'timed out after 1s' });
  });

  it('says a command cut by its signal was cancelled, not timed out', async () => {
    const controller = new AbortController();
    const running = exec(['sleep', '30'], { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect(await running).toMatchObject({ timedOut: false, failure: 'cancelled at the scan deadline' });
  });

  it('gives the first non-blank line of stderr as the reason of a failed exit', async () => {
    const result = await exec(['sh', '-c', 'printf "\\n  \\n  disk full  \\nmore\\n" >&2; exit 3'], { timeoutMs: 10_000 });
    expect(result).toMatchObject({ exitCode: 3, timedOut: false, failure: 'exit 3: disk full' });
  });
});
