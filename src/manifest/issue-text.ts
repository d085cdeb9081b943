/**
 * A zod issue said the way a person reading a YAML file would say it, with the fix where heal can
 * tell it: a number in quotes (`a number, not a string: write status: 200`), a URL without its
 * scheme (`not a URL: add http:// (http://127.0.0.1:3000/health)`), a duration without its unit
 * (`a duration needs a unit: write timeout: 3s (or ms, m, h, d)`). Used on the error path only.
 */
import type { z } from 'zod';
import { DURATION_EXPECTED, NUMBER_IN_QUOTES } from './fields.js';
import type { PathSegment } from './interpolate.js';

/** Where the issue is, and whether the value there came from a `${VAR}` (so it is always text). */
export type IssuePlace = { path: readonly PathSegment[]; fromEnv: boolean };

/** The message for one zod issue (not an unknown key: see unknown-key.ts). */
export function issueText(issue: z.core.$ZodIssue, place: IssuePlace): string {
  const input: unknown = (issue as { input?: unknown }).input;
  if (isNumberInQuotes(issue, input)) return numberInQuotes(input as string, place);
  if (issue.message === DURATION_EXPECTED && typeof input === 'number' && input >= 0) {
    const key = place.path.at(-1);
    return `a duration needs a unit: ${typeof key === 'string' ? `write ${key}: ${input}s` : `write ${input}s`} (or ms, m, h, d)`;
  }
  if (issue.code === 'invalid_format' && issue.format === 'url' && typeof input === 'string') {
    const fixed = withScheme(input);
    if (fixed !== undefined) return `not a URL: add ${fixed.slice(0, fixed.indexOf('//') + 2)} (${fixed})`;
  }
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
    const kinds = issue.errors.flatMap((branch) => branch.filter((i) => i.code === 'invalid_type' && i.path.length === 0).map((i) => kind((i as { expected: string }).expected)));
    if (kinds.length === issue.errors.length && input !== undefined) return `expected ${[...new Set(kinds)].join(' or ')}, got ${describeInput(input)}`;
  }
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    if (input === undefined) return 'required';
    return `expected ${kind(issue.expected)}, got ${describeInput(input)}`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

/**
 * The issues of the one branch of a union whose type matched but whose contents did not (a list
 * of status codes with one in quotes), at their own paths; undefined when no branch, or several,
 * matched the value's type.
 */
export function matchedBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const matched = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
  if (matched.length !== 1) return undefined;
  return matched[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
}

function kind(expected: string): string {
  if (expected === 'record' || expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  if (expected === 'int') return 'a whole number';
  return `a ${expected}`;
}

/** A value as a problem line shows it: a string quoted and cut at 40 characters. */
export function describeInput(input: unknown): string {
  if (input === null) return 'nothing (null)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `"${input.length > 40 ? `${input.slice(0, 40)}…` : input}"`;
  return String(input);
}

const NUMERIC = /^-?\d+(?:\.\d+)?$/;

/** A string that reads as a number where a number was expected (directly, or as one branch of a union). */
function isNumberInQuotes(issue: z.core.$ZodIssue, input: unknown): boolean {
  if (typeof input !== 'string' || !NUMERIC.test(input)) return false;
  if (issue.message === NUMBER_IN_QUOTES) return true;
  if (issue.code === 'invalid_type') return issue.expected === 'number' || issue.expected === 'int';
  if (issue.code === 'invalid_union') return issue.errors.some((branch) => branch.some((i) => i.code === 'invalid_type' && i.path.length === 0 && (i.expected === 'number' || i.expected === 'int')));
  return false;
}

function numberInQuotes(text: string, { path, fromEnv }: IssuePlace): string {
  if (fromEnv) return `${NUMBER_IN_QUOTES}: a \${VAR} is always replaced by text; write the number itself`;
  const key = path.at(-1);
  return `${NUMBER_IN_QUOTES}: ${typeof key === 'string' ? `write ${key}: ${text}` : `write ${text} without quotes`}`;
}

/**
 * The value with its scheme added, when it has none and that makes it a URL of a host:
 * `127.0.0.1:3000/health` → `http://127.0.0.1:3000/health` (an address, localhost, or any host
 * with a port: http://, as local services answer); `hooks.slack.com/services/…` → `https://…`
 * (a name with a dot and no port: a service on the internet). Undefined otherwise: `nope` is wrong
 * some other way.
 */
export function withScheme(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) || trimmed.startsWith('/')) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${trimmed}`);
  } catch {
    return undefined;
  }
  const host = url.hostname;
  const address = /^[\d.]+$/.test(host) || host.startsWith('[');
  if (address || host === 'localhost' || url.port !== '') return `http://${trimmed}`;
  return host.includes('.') ? `https://${trimmed}` : undefined;
}
