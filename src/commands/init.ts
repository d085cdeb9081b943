/**
 * `heal init [--from launchd|systemd] [--print | --out FILE] [--force] [--all]`: propose a
 * services.yaml from what the machine runs. Discovery is per platform (src/init/discover-*.ts),
 * the proposal and its text are pure (proposal.ts, render.ts); this file checks the flags, asks,
 * probes and writes.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { HealError } from '../common/errors.js';
import { writeFileAtomic } from '../common/fs-atomic.js';
import { errnoCode } from '../common/fs-errors.js';
import { createDeps } from '../deps.js';
import { silentLogger } from '../log/logger.js';
import { probeHealthPaths } from '../init/probe.js';
import { isProposed, propose } from '../init/proposal.js';
import { renderManifest } from '../init/render.js';
import { byPort } from '../init/listeners.js';
import type { FoundJob } from '../init/types.js';
import { print } from './context.js';

export type InitCommandOptions = {
  /** `launchd` or `systemd`; default the platform's. */
  from?: string;
  /** Print the manifest on stdout, write nothing. */
  print?: boolean;
  /** @default "./services.yaml" */
  out?: string;
  /** Replace an existing file. */
  force?: boolean;
  /** Keep every job, the system's own included. */
  all?: boolean;
};

const SOURCES = ['launchd', 'systemd'] as const;
type Source = (typeof SOURCES)[number];

/** A written manifest: no one else may change what heal runs as its user. */
const MANIFEST_MODE = 0o644;

/** The source to ask: `--from`, else the platform's (launchd on macOS, systemd elsewhere). */
export function initSource(from: string | undefined, platform: NodeJS.Platform): Source {
  if (from === undefined) return platform === 'darwin' ? 'launchd' : 'systemd';
  const source = SOURCES.find((s) => s === from);
  if (!source) throw new HealError('usage', `init: unknown --from ${JSON.stringify(from)}; use launchd or systemd`);
  return source;
}

/** Runs `heal init`; resolves with the exit code (0), or throws a one-line HealError (exit 2). */
export async function initCommand(options: InitCommandOptions): Promise<number> {
  const source = initSource(options.from, process.platform);
  if (options.print && options.out !== undefined) throw new HealError('usage', 'init: --print and --out exclude each other');
  const out = resolve(options.out ?? 'services.yaml');
  if (!options.print && !options.force && existsSync(out)) {
    throw new HealError('usage', `init: ${out} exists; pass --force to replace it, --out FILE to write elsewhere, or --print`);
  }
  const env = process.env;
  const home = env['HOME'] || homedir();
  const deps = createDeps(silentLogger(), env);
  const found: { jobs: FoundJob[]; notes: string[] } =
    source === 'systemd'
      ? await (await import('../init/discover-systemd.js')).discoverSystemd(deps, home)
      : await (await import('../init/discover-launchd.js')).discoverLaunchd(deps, home);
  // Only the ports of the jobs that will be proposed are probed.
  const listeners = byPort(found.jobs.filter((job) => isProposed(job, options.all === true)).flatMap((job) => job.listeners));
  const health = await probeHealthPaths(listeners);
  const proposal = propose(found.jobs, health, { all: options.all === true });
  const text = renderManifest(proposal, source, new Date().toISOString().slice(0, 10));

  for (const note of found.notes) process.stderr.write(`heal: note: ${note}\n`);
  if (options.print) {
    await print(text);
    return 0;
  }
  try {
    await writeFileAtomic(out, text, MANIFEST_MODE);
  } catch (error) {
    const code = errnoCode(error);
    const why = code === 'ENOENT' ? 'its folder does not exist' : code ?? (error as Error).message;
    throw new HealError('usage', `init: cannot write ${out}: ${why}; pick another --out, or --print`);
  }
  await print(
    `wrote ${out}: ${proposal.services.length} service(s) from ${source}${proposal.quiet.length ? `, ${proposal.quiet.length} listed as comments (they listen on no port)` : ''}; read it, then run heal validate --config ${out}\n`,
  );
  return 0;
}
