import { describe, expect, it } from 'vitest';
import { editDistance, nearest, typoBudget } from '../../src/common/edit-distance.js';

describe('editDistance (Damerau–Levenshtein, optimal string alignment)', () => {
  it.each([
    ['', '', 0],
    ['port', 'port', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['prot', 'port', 1], // a swap of neighbours is one edit
    ['body_contain', 'body_contains', 1], // an insertion
    ['restrat', 'restart', 1],
    ['hots', 'host', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3], // optimal string alignment: a swapped pair is not edited again
    ['url', 'run', 2],
  ])('%j → %j: %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('nearest', () => {
  const keys = ['type', 'url', 'method', 'status', 'body_contains', 'json', 'headers', 'body', 'insecure', 'max_latency', 'name', 'timeout', 'retries', 'retry_delay', 'on_fail'];

  it.each([
    ['body_contain', ['body_contains']],
    ['stauts', ['status']],
    ['tiemout', ['timeout']],
    ['Max-Latency', ['max_latency']], // case and dashes do not count
    ['header', ['headers']],
    ['retry', []], // five letters: one edit allowed, "retries" is two away
    ['port', []],
    ['run', []], // "url" is two edits away: too far for three letters
  ])('%s → %j', (word, expected) => {
    expect(nearest(word, keys)).toEqual(expected);
  });

  it('gives every candidate at the nearest distance, in order', () => {
    expect(nearest('bdy', ['body', 'bad', 'bay'])).toEqual(['body', 'bay']);
  });

  it('allows one edit up to five letters and two from six', () => {
    expect([1, 3, 5, 6, 12, 40].map(typoBudget)).toEqual([1, 1, 1, 2, 2, 2]);
  });
});
