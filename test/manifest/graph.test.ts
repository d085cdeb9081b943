import { describe, expect, it } from 'vitest';
import { dependencyProblems, healOrder } from '../../src/manifest/graph.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('healOrder', () => {
  it('puts every parent before its children and keeps manifest order otherwise', () => {
    expect(healOrder(graph({ web: ['api'], api: ['db'], db: [], cache: [] }))).toEqual(['db', 'api', 'web', 'cache']);
  });

  it('ignores parents that are not being scanned', () => {
    expect(healOrder(graph({ web: ['api'] }))).toEqual(['web']);
  });
});

describe('dependencyProblems', () => {
  it('finds nothing wrong with a diamond', () => {
    expect(dependencyProblems(graph({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }))).toEqual([]);
  });

  it('reports each cycle once', () => {
    expect(dependencyProblems(graph({ a: ['b'], b: ['a'], c: ['a'] }))).toEqual([{ service: 'a', message: 'dependency cycle: a → b → a' }]);
  });
});
