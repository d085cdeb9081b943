/** A process and its descendants, from a pid → parent pid table (pure). */

/** `/proc/PID/stat` → its parent pid (the field after the state, past the `(comm)` that may hold spaces). */
export function parentFromStat(stat: string): number | undefined {
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(after[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** `root` and every process below it, `root` first. */
export function withDescendants(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** `ps -axo pid=,ppid=` lines (`  412     1`) → each process's parent. */
export function parsePsParents(stdout: string): Map<number, number> {
  const parents = new Map<number, number>();
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
    if (match) parents.set(Number(match[1]), Number(match[2]));
  }
  return parents;
}
