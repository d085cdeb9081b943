import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { pidExists, probePid } from '../../src/process/identity.js';
import { compileStateModules } from '../state/child-modules.js';
import { nodeForOthers } from '../helpers/node-for-others.js';

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

  it("says another user's process (init's) is foreign, and exists", async () => {
    // Root may signal every process: then the question is asked from a child running as nobody.
    const seen = process.getuid?.() === 0 ? await probeAsNobody(1) : { probe: probePid(1), exists: pidExists(1) };
    expect(seen).toEqual({ probe: 'foreign', exists: true });
  });
});

/** probePid and pidExists of `pid`, asked by a child process running as nobody (uid 65534), with the real modules. */
async function probeAsNobody(pid: number): Promise<{ probe: string; exists: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'heal-identity-'));
  try {
    await chmod(dir, 0o755);
    await compileStateModules(dir);
    const module = join(dir, 'src/process/identity.js');
    const code = `const m = await import(${JSON.stringify(module)}); console.log(JSON.stringify({ probe: m.probePid(${pid}), exists: m.pidExists(${pid}) }));`;
    const out = execFileSync(nodeForOthers(), ['--input-type=module', '-e', code], { uid: 65534, gid: 65534, cwd: '/', encoding: 'utf8', timeout: 20_000 });
    return JSON.parse(out) as { probe: string; exists: boolean };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
