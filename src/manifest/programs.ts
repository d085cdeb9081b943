/**
 * Will the programs a manifest runs start at all? Every `run` and `stop` of a command restart and
 * every command check's `run` must name a program that exists and is executable, and every `cwd`
 * must be a folder — found out now, not during the outage the restart was meant to end. One
 * answer for `heal validate` (an error), `heal scan` (a warning) and any later command.
 *
 * A program is resolved as the child process will resolve it (restart/command.ts and
 * checks/command.ts start it through deps.ts, which spawns without a shell, like execvp):
 * - in the folder `cwd` (relative to the manifest's folder; the folder itself when absent);
 * - a program with a `/` is that file, a relative one taken from `cwd`;
 * - a bare name is looked for in each folder of the PATH it runs with — a restart's `env.PATH`,
 *   else heal's own — in order, an empty entry meaning `cwd` and a relative one read from `cwd`;
 *   with no PATH at all, `/usr/bin:/bin`. A match that is not executable is passed over, as
 *   execvp passes it over.
 * Disabled services are left alone: they never run. A few stat calls per program, all at once.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errnoCode } from '../common/fs-errors.js';
import { interpolatedSecrets, redactor } from '../common/redact.js';
import type { PathSegment } from './interpolate.js';
import { formatPath, problemLine } from './problem-line.js';
import type { Manifest } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The PATH searched when the environment has none (libuv's and glibc's `_PATH_DEFPATH`). */
export const DEFAULT_SEARCH_PATH = '/usr/bin:/bin';

/** A program or folder the manifest names, where it is written and how it will be looked up. */
export type ProgramPlace = {
  service: string;
  /** Where it is written: `services.api.restart.run[0]`, `services.api.checks[2].cwd`. */
  path: PathSegment[];
  kind: 'program' | 'folder';
  /** As written. */
  value: string;
  /** The `cwd` option of the restart or check, as written. */
  cwd: string | undefined;
  /** The PATH its restart sets in `env`, when it sets one (checks have no `env`). */
  envPath: string | undefined;
};

/** A problem with one place, unlocated: `{ path, message }`. */
export type ProgramProblem = { path: PathSegment[]; message: string };

/** Every program and folder the enabled services (or only those named) will run in. Pure. */
export function programPlaces(manifest: Manifest, services?: readonly string[]): ProgramPlace[] {
  const places: ProgramPlace[] = [];
  for (const [service, spec] of Object.entries(manifest.services)) {
    if (!spec.enabled || (services && !services.includes(service))) continue;
    spec.checks.forEach((check, index) => {
      if (check.type !== 'command') return;
      const at: PathSegment[] = ['services', service, 'checks', index];
      places.push({ service, path: [...at, 'run', 0], kind: 'program', value: check.run[0] as string, cwd: check.cwd, envPath: undefined });
      if (check.cwd !== undefined) places.push({ service, path: [...at, 'cwd'], kind: 'folder', value: check.cwd, cwd: undefined, envPath: undefined });
    });
    const restart = spec.restart;
    if (restart?.type !== 'command') continue;
    const at: PathSegment[] = ['services', service, 'restart'];
    const envPath = restart.env && Object.hasOwn(restart.env, 'PATH') ? restart.env['PATH'] : undefined;
    places.push({ service, path: [...at, 'run', 0], kind: 'program', value: restart.run[0] as string, cwd: restart.cwd, envPath });
    if (restart.stop) places.push({ service, path: [...at, 'stop', 0], kind: 'program', value: restart.stop[0] as string, cwd: restart.cwd, envPath });
    if (restart.cwd !== undefined) places.push({ service, path: [...at, 'cwd'], kind: 'folder', value: restart.cwd, cwd: undefined, envPath: undefined });
  }
  return places;
}

/**
 * The programs that do not exist or are not executable and the `cwd`s that are not folders, as
 * `{ path, message }`, in the manifest's order. `env` is heal's own environment (its PATH).
 */
export async function programProblems(manifest: Manifest, baseDir: string, env: Env, services?: readonly string[]): Promise<ProgramProblem[]> {
  const probe = prober();
  const found = await Promise.all(
    programPlaces(manifest, services).map(async (place) => {
      const message = place.kind === 'folder' ? await folderProblem(place.value, baseDir, probe) : await programProblem(place, baseDir, env, probe);
      return message === undefined ? [] : [{ path: place.path, message }];
    }),
  );
  return found.flat();
}

/**
 * {@link programProblems} as printed: one line each, with its source line from `lines` (which
 * the loaded manifest carries, cached or parsed) and with values from the environment redacted.
 */
export async function programProblemLines(
  loaded: { manifest: Manifest; baseDir: string; secrets: readonly string[]; lines?: Readonly<Record<string, number>> },
  env: Env,
  services?: readonly string[],
): Promise<string[]> {
  const problems = await programProblems(loaded.manifest, loaded.baseDir, env, services);
  if (!problems.length) return [];
  const redact = redactor(interpolatedSecrets(loaded.secrets));
  const lines = loaded.lines ?? {};
  const lineOf = (path: readonly PathSegment[]): number | undefined => (Object.hasOwn(lines, formatPath(path)) ? lines[formatPath(path)] : undefined);
  return problems.map((p) => redact(problemLine(p.path, p.message, lineOf(p.path))));
}

/** What a path is, for starting a program there. */
type Found = 'executable' | 'missing' | 'folder' | 'not-a-file' | 'not-executable' | { error: string };

/** Looks each path up once, however many places name it. */
function prober(): (path: string) => Promise<Found> {
  const seen = new Map<string, Promise<Found>>();
  return (path) => {
    let answer = seen.get(path);
    if (!answer) {
      answer = probe(path);
      seen.set(path, answer);
    }
    return answer;
  };
}

async function probe(path: string): Promise<Found> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return 'folder';
    if (!info.isFile()) return 'not-a-file';
    return (await access(path, constants.X_OK).then(() => true, () => false)) ? 'executable' : 'not-executable';
  } catch (error) {
    const code = errnoCode(error);
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : { error: code ?? String(error) };
  }
}

async function folderProblem(cwd: string, baseDir: string, probe: (path: string) => Promise<Found>): Promise<string | undefined> {
  const full = resolve(baseDir, cwd);
  const shown = cwd === full ? cwd : `${cwd} (${full})`;
  const found = await probe(full);
  if (found === 'folder') return undefined;
  if (found === 'missing') return `${shown} does not exist: the command could not start in it`;
  if (typeof found === 'object') return `${shown} cannot be read (${found.error})`;
  return `${shown} is not a folder`;
}

async function programProblem(place: ProgramPlace, baseDir: string, env: Env, probe: (path: string) => Promise<Found>): Promise<string | undefined> {
  const cwd = resolve(baseDir, place.cwd ?? '.');
  const program = place.value;
  if (program.includes('/')) {
    const full = resolve(cwd, program);
    const shown = program === full ? program : `${program} (${full})`;
    const found = await probe(full);
    if (found === 'executable') return undefined;
    if (found === 'missing') return `${shown} does not exist`;
    if (found === 'folder') return `${shown} is a folder, not a program`;
    if (found === 'not-a-file') return `${shown} is not a regular file`;
    if (found === 'not-executable') return `${shown} is not executable: chmod +x ${full}`;
    return `${shown} cannot be read (${found.error})`;
  }
  const searchPath = place.envPath ?? env['PATH'] ?? DEFAULT_SEARCH_PATH;
  let passedOver: string | undefined;
  for (const folder of searchPath.split(':')) {
    const full = resolve(cwd, folder, program);
    const found = await probe(full);
    if (found === 'executable') return undefined;
    if (found === 'not-executable') passedOver ??= full;
  }
  if (passedOver) return `${program} is on the PATH only as ${passedOver}, which is not executable: chmod +x ${passedOver}`;
  const which = place.envPath !== undefined ? 'its env.PATH' : 'the PATH heal runs with';
  return `${program} is not found on ${which} (${searchPath}): give its full path${place.path[2] === 'restart' ? ' or set env.PATH' : ''}`;
}
