/**
 * The user's crontab, through the `crontab` program found on PATH: `crontab -l` reads it,
 * `crontab -` replaces it from stdin. Always argv, never a shell.
 */
import { spawn } from 'node:child_process';
import { firstLine } from '../common/error-text.js';
import { HealError } from '../common/errors.js';

/** How long one crontab call may take. */
const CRONTAB_TIMEOUT_MS = 15_000;

type Result = { code: number | null; stdout: string; stderr: string };

/** The current crontab; '' when the user has none (`crontab -l` exits 1 with "no crontab for …"). */
export async function readCrontab(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const result = await crontab(['-l'], undefined, env);
  if (result.code === 0) return result.stdout;
  if (result.code === 1 && /no crontab/i.test(result.stderr)) return '';
  throw new HealError('internal', `crontab -l failed (${describe(result)})`);
}

/** Replaces the user's crontab with `table`. */
export async function writeCrontab(table: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const result = await crontab(['-'], table, env);
  if (result.code !== 0) throw new HealError('internal', `crontab - failed (${describe(result)}); the crontab is unchanged`);
}

function describe(result: Result): string {
  const said = firstLine(result.stderr);
  return `${result.code === null ? 'timed out' : `exit ${result.code}`}${said ? `: ${said}` : ''}`;
}

function crontab(args: string[], input: string | undefined, env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('crontab', args, { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: CRONTAB_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new HealError('internal', 'crontab is not on PATH: is cron installed? (heal install systemd is the alternative)')
          : new HealError('internal', `crontab ${args.join(' ')}: ${error.message}`, { cause: error }),
      );
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A crontab that exits without reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}
