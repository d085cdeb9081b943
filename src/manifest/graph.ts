/** The `depends_on` graph: references that name no service, cycles, and the order to heal in. */

export type DependencyProblem = { service: string; index?: number; message: string };

/** Problems with `depends_on`: unknown names, self-references, cycles (each cycle once). */
export function dependencyProblems(dependsOn: ReadonlyMap<string, readonly string[]>): DependencyProblem[] {
  const problems: DependencyProblem[] = [];
  for (const [service, parents] of dependsOn) {
    parents.forEach((parent, index) => {
      if (parent === service) problems.push({ service, index, message: 'a service cannot depend on itself' });
      else if (!dependsOn.has(parent)) problems.push({ service, index, message: `no service named "${parent}"` });
    });
  }
  for (const cycle of findCycles(dependsOn)) {
    problems.push({ service: cycle[0] as string, message: `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}` });
  }
  return problems;
}

function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const onStack: string[] = [];
  const visit = (node: string): void => {
    const at = onStack.indexOf(node);
    if (at !== -1) {
      cycles.push(onStack.slice(at));
      return;
    }
    if (done.has(node)) return;
    onStack.push(node);
    for (const next of graph.get(node) ?? []) if (next !== node && graph.has(next)) visit(next);
    onStack.pop();
    done.add(node);
  };
  for (const node of graph.keys()) visit(node);
  return cycles;
}

/**
 * Services in an order where every parent comes before its children (manifest order otherwise).
 * Assumes the graph has no cycles; parents that are not in the map are ignored.
 */
export function healOrder(dependsOn: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (node: string): void => {
    if (placed.has(node)) return;
    placed.add(node);
    for (const parent of dependsOn.get(node) ?? []) if (dependsOn.has(parent)) place(parent);
    order.push(node);
  };
  for (const node of dependsOn.keys()) place(node);
  return order;
}
