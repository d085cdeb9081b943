/**
 * The state directory's owner and modes, judged from a stat. Pure. heal trusts what the folder
 * holds (it restarts and opens files on its word), so it must belong to the user running heal and
 * be writable by nobody else — the rule heal scan enforces as root (state/store.ts), applied here
 * to every user.
 */
import { fail, pass, type Finding } from './finding.js';

/** What a stat of the state directory said: missing, not a folder, or its owner and mode. */
export type StateDirFact =
  | { dir: string; exists: false }
  | { dir: string; exists: true; isDirectory: boolean; uid: number; mode: number };

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** The findings for the state directory, for heal running as `uid`. */
export function judgeStateDir(fact: StateDirFact, uid: number, user: string): Finding[] {
  const { dir } = fact;
  if (!fact.exists) return [pass(`state directory ${dir} does not exist yet: the first scan creates it (0700)`)];
  if (!fact.isDirectory) return [fail(`state directory ${dir} is not a folder`, `move it away, or point --state-dir, $HEAL_STATE_DIR or state_dir at a folder`)];
  const findings: Finding[] = [];
  if (fact.uid !== uid) findings.push(fail(`state directory ${dir} is owned by uid ${fact.uid}, not ${user} (uid ${uid}) who runs heal`, `chown ${user} ${dir}`));
  if ((fact.mode & 0o022) !== 0) findings.push(fail(`state directory ${dir} is writable by group or others (mode ${octal(fact.mode)})`, `chmod go-w ${dir}`));
  return findings.length ? findings : [pass(`state directory ${dir} belongs to ${user} and only it may write there (mode ${octal(fact.mode)})`)];
}
