/** Real child processes for tests that measure or look up a process: started, ready, and killed after the test. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { onTestFinished } from 'vitest';

/**
 * A node child running `code`; resolves with its pid once it printed "ready". Made inside a test,
 * it is SIGKILLed when the test finishes.
 */
export async function readyChild(code: string): Promise<number> {
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  proc.stdout!.setEncoding('utf8');
  while (!out.includes('ready')) {
    const [chunk] = (await once(proc.stdout!, 'data')) as [string];
    out += chunk;
  }
  return proc.pid!;
}
