/**
 * Parses manifest text: YAML → `${VAR}` interpolation → zod validation (strict) → graph checks.
 * Every problem becomes one line naming its path and source line; any problem throws a
 * ConfigError holding all of them, so the user fixes the file in one pass. Loaded only when the
 * manifest cache (cache.ts) misses, so an unchanged manifest never loads the YAML parser.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { dependencyProblems } from './graph.js';
import { interpolate, type PathSegment } from './interpolate.js';
import { lineOf, lineOfKey, pathAtOffset, problemLine } from './locate.js';
import { manifestSchema, serviceName, type Manifest } from './schema.js';

/** Parses manifest text; throws ConfigError with every problem found. */
export function parseManifest(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): { manifest: Manifest; secrets: string[] } {
  if (text.includes('\u0000')) throw new ConfigError(['manifest: the file holds binary data (a NUL byte), not YAML']);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });

  const syntax = doc.errors.map((error) => {
    const offset = error.pos[0];
    const line = lines.linePos(offset).line;
    if (error.code === 'DUPLICATE_KEY') {
      const path = pathAtOffset(doc, offset);
      const what = path.length === 2 && path[0] === 'services' ? 'service name' : 'key';
      return problemLine(path, `duplicate ${what}`, line);
    }
    return problemLine([], `YAML ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`, line);
  });
  if (syntax.length) throw new ConfigError(dedupe(syntax));

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([problemLine([], `YAML ${(error as Error).message.split('\n')[0]}`, undefined)]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([problemLine([], 'expected a mapping with `version: 1` and `services:`', lineOf(doc, lines, []))]);
  }

  const interpolated = interpolate(raw, env);
  const problems = interpolated.problems.map((p) => problemLine(p.path, p.message, lineOf(doc, lines, p.path)));

  const parsed = manifestSchema.safeParse(interpolated.value, { reportInput: true });
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((issue) => issueLines(issue, doc, lines)));
  problems.push(...nameLines(interpolated.value, doc, lines));
  if (parsed.success) problems.push(...dependencyLines(parsed.data, doc, lines), ...channelLines(parsed.data, doc, lines));
  if (problems.length || !parsed.success) throw new ConfigError(dedupe(problems));
  return { manifest: parsed.data, secrets: interpolated.secrets };
}

function issueLines(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): string[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => problemLine([...path, key], 'unknown key', lineOfKey(doc, lines, path, key)));
  }
  return [problemLine(path, friendly(issue), lineOf(doc, lines, path))];
}

/** zod's messages, said the way a person reading a YAML file would say them. */
function friendly(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    if (issue.input === undefined) return 'required';
    return `expected ${issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, got ${describeInput(issue.input)}`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

function describeInput(input: unknown): string {
  if (input === null) return 'nothing (null)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `"${input.length > 40 ? `${input.slice(0, 40)}…` : input}"`;
  return String(input);
}

function nameLines(raw: unknown, doc: Document, lines: LineCounter): string[] {
  const services = (raw as { services?: unknown }).services;
  if (services === null || typeof services !== 'object' || Array.isArray(services)) return [];
  return Object.keys(services).flatMap((name) => {
    const check = serviceName.safeParse(name);
    if (check.success) return [];
    return [problemLine(['services', name], check.error.issues[0]?.message ?? 'invalid name', lineOfKey(doc, lines, ['services'], name))];
  });
}

function dependencyLines(manifest: Manifest, doc: Document, lines: LineCounter): string[] {
  const problems: string[] = [];
  const graph = new Map(Object.entries(manifest.services).map(([name, spec]) => [name, spec.depends_on] as const));
  for (const problem of dependencyProblems(graph)) {
    const path: PathSegment[] = ['services', problem.service, 'depends_on'];
    if (problem.index !== undefined) path.push(problem.index);
    problems.push(problemLine(path, problem.message, lineOf(doc, lines, path)));
  }
  return problems;
}

/** Every channel a level names must be defined (`log` always is). */
function channelLines(manifest: Manifest, doc: Document, lines: LineCounter): string[] {
  const known = new Set(['log', ...Object.keys(manifest.alerts.channels)]);
  return Object.entries(manifest.alerts.levels).flatMap(([level, config]) =>
    (config?.channels ?? []).flatMap((channel, index) => {
      if (known.has(channel)) return [];
      const path: PathSegment[] = ['alerts', 'levels', level, 'channels', index];
      return [problemLine(path, `no channel named "${channel}" (define it under alerts.channels)`, lineOf(doc, lines, path))];
    }),
  );
}

function dedupe(items: string[]): string[] {
  return [...new Set(items)];
}
