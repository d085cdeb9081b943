import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { pidExists, probePid } from '../../src/process/identity.js';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

/** The pid of a process that has exited and been reaped. */
async function goneChild(): Promise<number> {
  const child = spawn('true');
  await once(child, 'exit');
  return child.pid as number;
}

/**
 * A zombie: `sh` starts a short sleep in the background, then becomes a long `sleep`, which never
 * waits for children, so the short one stays a zombie once it exits. Resolves with its pid.
 */
async function zombie(): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(parent);
  const [chunk] = (await once(parent.stdout, 'data')) as [Buffer];
  return Number(chunk.toString().trim());
}

describe('process liveness', () => {
  it('says this very process is alive and exists', () => {
    expect(probePid(process.pid)).toBe('alive');
    expect(pidExists(process.pid)).toBe(true);
  });

  it('says a process that exited and was reaped is gone and exists no more', async () => {
    const pid = await goneChild();
    expect(probePid(pid)).toBe('gone');
    expect(pidExists(pid)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('counts a zombie as gone when waiting for a process to go, yet as existing to kill(pid, 0)', async () => {
    const pid = await zombie();
    await expect.poll(() => probePid(pid)).toBe('gone');
    expect(pidExists(pid)).toBe(true);
  });

  it.runIf(process.getuid?.() !== 0)("says another user's process is foreign, and exists", () => {
    expect(probePid(1)).toBe('foreign');
    expect(pidExists(1)).toBe(true);
  });
});
