/**
 * The manifest's own findings, from its problem lines as `heal validate` gives them. Pure. An
 * environment variable that is not set is picked out of the lines (alert channels report their
 * own; gather.ts reloads the manifest with a stand-in value so the other checks still run), and
 * a restart's program problems are left to the restart's finding, so nothing is said twice.
 */
import { fail, pass, type Finding } from './finding.js';

/** An `${VAR}` the environment does not set: where (`alerts.channels.discord.webhook_url`), which, and the line as printed. */
export type UnsetVariable = { at: string; name: string; line: string };

const UNSET = /^(\S+): environment variable (\S+) is not set/;

/** The unset variables among problem lines. */
export function unsetVariables(problems: readonly string[]): UnsetVariable[] {
  return problems.flatMap((line) => {
    const match = UNSET.exec(line);
    return match ? [{ at: match[1] as string, name: match[2] as string, line }] : [];
  });
}

/** The channel an unset variable belongs to (`alerts.channels.<name>.…`), if any. */
export function channelOf(unset: UnsetVariable): string | undefined {
  return /^alerts\.channels\.([^.[]+)/.exec(unset.at)?.[1];
}

/** Whether a problem line is about a service's restart (reported by the restart's finding). */
export function isRestartProblem(line: string): boolean {
  return /^services\.[^.]+\.restart\./.test(line);
}

/**
 * One failure per problem that no other finding reports, or one pass: `✓ manifest … is valid`.
 * `restartsJudged`: the restarts' findings ran (the manifest loaded), so their problems are theirs.
 */
export function judgeManifest(path: string, problems: readonly string[], restartsJudged: boolean): Finding[] {
  const own = problems.filter((line) => {
    const unset = UNSET.exec(line);
    if (unset) return channelOf({ at: unset[1] as string, name: unset[2] as string, line }) === undefined;
    return !(restartsJudged && isRestartProblem(line));
  });
  if (own.length === 0) return [pass(`manifest ${path} is valid`)];
  return own.map((line) => {
    const unset = UNSET.exec(line);
    if (unset) return fail(`manifest: ${line}`, `export ${unset[2]} in the environment heal runs with, the schedule's too`);
    // The file itself (missing, unreadable, not a file, too loose for root): its line says what.
    if (line.startsWith(`${path}: `)) return fail(`manifest: ${line}`, 'point --config (or $HEAL_CONFIG) at your services.yaml, or change the file as the line says');
    return fail(`manifest: ${line}`, `fix it in ${path} (heal validate checks it)`);
  });
}
