import { describe, expect, it } from 'vitest';
import { formatAgo, formatLocalTime } from '../../src/common/local-time.js';

// A fixed instant with its own fixed zone: the same on any date the suite runs and any machine zone.
const NOW = Date.UTC(2026, 11, 2, 13, 3, 4, 567);

describe('formatAgo', () => {
  it.each([
    [0, 'just now'],
    [400, 'just now'],
    [12_000, '12s ago'],
    [3 * 60_000, '3m ago'],
    [2 * 3_600_000 + 5 * 60_000, '2h5m ago'],
    [-30_000, 'just now'],
  ])('%i ms before now reads %s', (before, text) => {
    expect(formatAgo(NOW - before, NOW)).toBe(text);
  });
});

describe('formatLocalTime', () => {
  it.each([
    ['UTC', NOW + 60_000, '13:04:04'],
    ['Europe/Paris', NOW + 60_000, '14:04:04'],
    ['Asia/Tokyo', NOW, '22:03:04'],
    ['UTC', NOW + 86_400_000, '2026-12-03 13:03:04'],
    ['America/New_York', NOW - 10 * 3_600_000, '2026-12-01 22:03:04'],
  ])('in %s shows %s as %s: to the second, no milliseconds, the date only on another day', (zone, at, text) => {
    expect(formatLocalTime(at, NOW, zone)).toBe(text);
  });
});
