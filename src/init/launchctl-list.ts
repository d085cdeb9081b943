/**
 * `launchctl list` (pure): one line per job loaded in the caller's domain, tab-separated
 * `PID Status Label` under a header, `-` for a job with no process:
 *
 * ```
 * PID	Status	Label
 * 1234	0	com.example.api
 * -	78	com.example.failed
 * ```
 *
 * (the format of launchctl(1), "list [-x] [label]": "three columns … the PID of the job if it is
 * running … the last exit status … the job's label").
 */

/** A loaded job: its label and, when it runs, its pid. */
export type ListedJob = { label: string; pid?: number };

/** The jobs of `launchctl list` output, in its order; the header and anything else are skipped. */
export function parseLaunchctlList(stdout: string): ListedJob[] {
  const jobs: ListedJob[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^\s*(-|\d+)\s+(-|-?\d+)\s+(\S.*?)\s*$/.exec(line);
    if (!match) continue;
    const pid = match[1] === '-' ? undefined : Number(match[1]);
    jobs.push({ label: match[3] as string, ...(pid !== undefined && pid > 0 ? { pid } : {}) });
  }
  return jobs;
}
