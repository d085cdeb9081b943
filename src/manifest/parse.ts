/**
 * Parses manifest text: YAML → `${VAR}` interpolation → zod validation (strict) → graph checks.
 * Every problem becomes one line naming its path and source line; any problem throws a
 * ConfigError holding all of them, so the user fixes the file in one pass. Loaded only when the
 * manifest cache (cache.ts) misses, so an unchanged manifest never loads the YAML parser.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ManifestFileError } from '../common/errors.js';
import { dependencyProblems } from './graph.js';
import { issueText, matchedBranch } from './issue-text.js';
import { knownKeysAt, unknownKeyText } from './unknown-key.js';
import { indentHint } from './indent.js';
import { isMisplacedServiceKey, isServiceKey, misplacedServiceKeys, misplacedText, serviceAbove } from './misplaced.js';
import { interpolate, type PathSegment, type Template } from './interpolate.js';
import { lineFinder, lineOf, lineOfKey, pathAtOffset } from './locate.js';
import { formatPath, problemLine } from './problem-line.js';
import { programPlaces } from './programs.js';
import { manifestSchema, serviceName, type Manifest } from './schema.js';
import { pidSourceProblems } from '../restart/service-pid.js';
import { interpolatedSecrets, redactor } from '../common/redact.js';

/**
 * The most problems reported (and located) for one manifest. Locating a problem walks the
 * document, so a generated file with a hundred thousand bad keys would otherwise take minutes;
 * nobody reads past the first screenful anyway.
 */
export const MAX_PROBLEMS = 100;

/** Problems as they are found, located lazily and only up to MAX_PROBLEMS; the rest are counted. */
class Problems {
  readonly lines: string[] = [];
  private more = 0;
  add(line: () => string): void {
    if (this.lines.length < MAX_PROBLEMS) this.lines.push(line());
    else this.more++;
  }
  /** The lines, deduplicated, with one line saying how many more were not shown. */
  list(): string[] {
    const lines = dedupe(this.lines);
    return this.more ? [...lines, problemLine([], `${this.more} more problem${this.more === 1 ? '' : 's'} not shown (fix these first)`, undefined)] : lines;
  }
}

/** A manifest that passed, and what the manifest cache (cache.ts) needs to keep it. */
export type ParsedManifest = {
  manifest: Manifest;
  /** Values substituted from the environment: never to be logged. */
  secrets: string[];
  /** Every string that held a `$`, where it is and as written, in the order read. */
  templates: Template[];
  /** Every variable name the text looks up, set or not. */
  names: string[];
  /** The source line of each program and `cwd` programs.ts checks, by printed path. */
  lines: Record<string, number>;
};

/** Parses manifest text; throws ConfigError with every problem found. */
export function parseManifest(text: string, env: Readonly<Record<string, string | undefined>>): ParsedManifest {
  if (text.includes('\u0000')) throw new ConfigError(['manifest: the file holds binary data (a NUL byte), not YAML']);
  const lines = new LineCounter();
  // logLevel 'error': the parser's warnings would go to stderr as multi-line process warnings.
  // uniqueKeys off: the parser's own check compares every key with every other (a generated
  // file of 100,000 keys took minutes); duplicateKeys() below finds them in one pass.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, logLevel: 'error' });

  const found = [
    ...doc.errors.map((error) => ({ offset: error.pos[0], code: error.code, message: `YAML ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}` })),
    ...duplicateKeys(doc),
  ].sort((a, b) => a.offset - b.offset);
  if (found.length) {
    const syntax = new Problems();
    for (const problem of found) {
      syntax.add(() => {
        const line = lines.linePos(problem.offset).line;
        if (problem.code === 'BAD_INDENT') {
          // A key indented unlike the keys it sits with: which one, and where to move it.
          const hint = indentHint(text, line);
          if (hint) return problemLine([...pathAtOffset(doc, (lines.lineStarts[hint.parent.line - 1] ?? 0) + hint.parent.indent), hint.key], hint.message, hint.line);
        }
        if (problem.message !== undefined) return problemLine([], problem.message, line);
        const path = pathAtOffset(doc, problem.offset);
        const [top, name] = path;
        if (path.length === 2 && top === 'services' && typeof name === 'string' && isServiceKey(name)) {
          // Two services whose `checks:` lost their indentation: not two services named checks.
          // The first one is said too (once: the lines are deduplicated), where it is.
          syntax.add(() => problemLine(path, misplacedText(name, serviceAbove(doc, name)), lineOfKey(doc, lines, ['services'], name)));
          return problemLine(path, misplacedText(name, serviceAbove(doc, name, problem.offset)), line);
        }
        const what = path.length === 2 && top === 'services' ? 'service name' : 'key';
        return problemLine(path, `duplicate ${what}`, line);
      });
    }
    throw new ConfigError(syntax.list());
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([problemLine([], `YAML ${(error as Error).message.split('\n')[0]}`, undefined)]);
  }
  if (doc.contents === null) {
    // Nothing to call invalid: one line (ManifestFileError), like a file that is not there.
    throw new ManifestFileError(problemLine([], 'the file is empty (no YAML in it, or only comments): write at least `version: 1` and `services:` with one service', undefined));
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([problemLine([], 'expected a mapping with `version: 1` and `services:`', lineOf(doc, lines, []))]);
  }

  const interpolated = interpolate(raw, env);
  const problems = new Problems();
  for (const p of interpolated.problems) problems.add(() => problemLine(p.path, p.message, lineOf(doc, lines, p.path)));

  const parsed = manifestSchema.safeParse(interpolated.value, { reportInput: true });
  if (!parsed.success) {
    const fromEnv = new Set(interpolated.templates.map((t) => formatPath(t.path)));
    const misplaced = { keys: misplacedServiceKeys((interpolated.value as { services?: unknown }).services), reported: new Set<string>() };
    for (const issue of parsed.error.issues) issueLines(issue, { doc, lines, problems, fromEnv, input: interpolated.value, misplaced });
  }
  nameLines(interpolated.value, doc, lines, problems);
  if (parsed.success) {
    dependencyLines(parsed.data, doc, lines, problems);
    channelLines(parsed.data, doc, lines, problems);
    maintenanceLines(parsed.data, doc, lines, problems);
    // A process check in a service whose restart gives heal no pid (restart/service-pid.ts).
    for (const p of pidSourceProblems(parsed.data)) problems.add(() => problemLine(p.path, p.message, lineOf(doc, lines, p.path)));
  }
  if (problems.lines.length || !parsed.success) {
    // A value from the environment echoed in a problem ("expected a boolean, got …") is a secret too.
    const redact = redactor(interpolatedSecrets(interpolated.secrets));
    throw new ConfigError(problems.list().map(redact));
  }
  return {
    manifest: parsed.data,
    secrets: interpolated.secrets,
    templates: interpolated.templates,
    names: interpolated.names,
    lines: programLines(parsed.data, doc, lines),
  };
}

/** The lines of the places programs.ts may report, so a cached manifest can still say where. */
function programLines(manifest: Manifest, doc: Document, lines: LineCounter): Record<string, number> {
  const find = lineFinder(doc, lines);
  const out: Record<string, number> = {};
  for (const { path } of programPlaces(manifest)) {
    const line = find(path);
    if (line !== undefined) out[formatPath(path)] = line;
  }
  return out;
}

/**
 * Where a mapping repeats a key (by its scalar value, as the YAML parser's uniqueKeys compares
 * them): the offset of each repeat. One pass over the document, a set per mapping; aliases are
 * not followed.
 */
function duplicateKeys(doc: Document): { offset: number; message?: undefined; code?: undefined }[] {
  const found: { offset: number }[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          if (seen.has(pair.key.value)) found.push({ offset: pair.key.range?.[0] ?? 0 });
          seen.add(pair.key.value);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return found;
}

/** What turning a schema issue into located lines needs. */
type IssueContext = {
  doc: Document;
  lines: LineCounter;
  problems: Problems;
  fromEnv: ReadonlySet<string>;
  input: unknown;
  /** Service keys found at the services' level (misplaced.ts): one line each, in place of their issues. */
  misplaced: { keys: ReadonlySet<string>; reported: Set<string> };
};

function issueLines(issue: z.core.$ZodIssue, context: IssueContext): void {
  const { doc, lines, problems, fromEnv, input, misplaced } = context;
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const [top, name] = path;
  if (top === 'services' && typeof name === 'string' && misplaced.keys.has(name)) {
    if (!misplaced.reported.has(name)) problems.add(() => problemLine(['services', name], misplacedText(name, serviceAbove(doc, name)), lineOfKey(doc, lines, ['services'], name)));
    misplaced.reported.add(name);
    return;
  }
  if (issue.code === 'unrecognized_keys') {
    // The keys allowed here are read from the schema once per mapping, and only when a line is shown.
    let known: string[] | undefined | null = null;
    let present: ReadonlySet<string> = new Set();
    for (const key of issue.keys) {
      problems.add(() => {
        if (known === null) {
          known = knownKeysAt(path, input);
          present = new Set(issue.input !== null && typeof issue.input === 'object' ? Object.keys(issue.input) : []);
        }
        return problemLine([...path, key], unknownKeyText(key, path, known, present), lineOfKey(doc, lines, path, key));
      });
    }
    return;
  }
  const branch = matchedBranch(issue);
  if (branch) {
    for (const inner of branch) issueLines(inner, context);
    return;
  }
  problems.add(() => problemLine(path, issueText(issue, { path, fromEnv: fromEnv.has(formatPath(path)) }), lineOf(doc, lines, path)));
}

function nameLines(raw: unknown, doc: Document, lines: LineCounter, problems: Problems): void {
  const services = (raw as { services?: unknown }).services;
  if (services === null || typeof services !== 'object' || Array.isArray(services)) return;
  for (const name of Object.keys(services)) {
    if (isMisplacedServiceKey(name, (services as Record<string, unknown>)[name])) continue; // said by issueLines
    const check = serviceName.safeParse(name);
    if (!check.success) problems.add(() => problemLine(['services', name], check.error.issues[0]?.message ?? 'invalid name', lineOfKey(doc, lines, ['services'], name)));
  }
}

function dependencyLines(manifest: Manifest, doc: Document, lines: LineCounter, problems: Problems): void {
  const graph = new Map(Object.entries(manifest.services).map(([name, spec]) => [name, spec.depends_on] as const));
  for (const problem of dependencyProblems(graph)) {
    const path: PathSegment[] = ['services', problem.service, 'depends_on'];
    if (problem.index !== undefined) path.push(problem.index);
    problems.add(() => problemLine(path, problem.message, lineOf(doc, lines, path)));
  }
}

/** Every channel a level names must be defined (`log` always is). */
function channelLines(manifest: Manifest, doc: Document, lines: LineCounter, problems: Problems): void {
  const known = new Set(['log', ...Object.keys(manifest.alerts.channels)]);
  for (const [level, config] of Object.entries(manifest.alerts.levels)) {
    (config?.channels ?? []).forEach((channel, index) => {
      if (known.has(channel)) return;
      const path: PathSegment[] = ['alerts', 'levels', level, 'channels', index];
      problems.add(() => problemLine(path, `no channel named "${channel}" (define it under alerts.channels)`, lineOf(doc, lines, path)));
    });
  }
}

/** Every service a maintenance window names must exist. */
function maintenanceLines(manifest: Manifest, doc: Document, lines: LineCounter, problems: Problems): void {
  for (const [name, window] of Object.entries(manifest.maintenance)) {
    (window.services ?? []).forEach((service, index) => {
      if (Object.hasOwn(manifest.services, service)) return;
      const path: PathSegment[] = ['maintenance', name, 'services', index];
      problems.add(() => problemLine(path, `no service named "${service}"`, lineOf(doc, lines, path)));
    });
  }
}

function dedupe(items: string[]): string[] {
  return [...new Set(items)];
}
