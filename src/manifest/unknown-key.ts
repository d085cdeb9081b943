/**
 * An unknown key, said with the fix: its place when it is a key of the level below (`checks:` at
 * the top belongs inside a service), else the known key it is a typo of (`body_contain: unknown
 * key: did you mean body_contains?`), else the keys allowed here when they are few. The allowed
 * keys are read from the schema itself at the key's path, so every strict mapping of the manifest
 * (top level, defaults, services, checks, restarts, alerts, levels, channels) says the same.
 * Used on the error path only.
 */
import type { z } from 'zod';
import { nearest } from '../common/edit-distance.js';
import { checkSpec } from '../checks/schema.js';
import { restartSpec } from '../restart/schema.js';
import type { PathSegment } from './interpolate.js';
import { defaultsSchema, manifestSchema, serviceSchema } from './schema.js';

/** At most this many allowed keys are listed when none is close to the unknown one. */
export const LISTED_KEYS = 10;

type Def = { type: string; [key: string]: unknown };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** The zod types that wrap one inner schema (`innerType`) without changing its keys. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);

/** A schema with its wrappers (optional, default, pipe's input…) taken off, and its def. */
function unwrapped(schema: unknown): { schema: unknown; def: Def } {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type)) return unwrapped(def['innerType']);
  if (def.type === 'pipe') return unwrapped(def['in']);
  return { schema, def };
}

/** The object schemas a schema may be, wrappers (optional, default, pipe…) taken off. */
function objects(wrapped: unknown, value: unknown): z.ZodObject[] {
  const { schema, def } = unwrapped(wrapped);
  switch (def.type) {
    case 'object':
      return [schema as z.ZodObject];
    case 'union': {
      const options = def['options'] as unknown[];
      const discriminator = def['discriminator'] as string | undefined;
      const tag = discriminator && value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[discriminator] : undefined;
      // The option the value's `type` names; every option when it names none.
      const chosen = discriminator && tag !== undefined
        ? options.filter((option) => (option as { _zod: { propValues?: Record<string, Set<unknown>> } })._zod.propValues?.[discriminator]?.has(tag))
        : options;
      return chosen.flatMap((option) => objects(option, value));
    }
    default:
      return [];
  }
}

/** The schema one step down from `schema`: a key of a mapping, an item of a list or a record. */
function child(wrapped: unknown, segment: PathSegment, value: unknown): unknown[] {
  const { def } = unwrapped(wrapped);
  switch (def.type) {
    case 'array':
      return typeof segment === 'number' ? [def['element']] : [];
    case 'record':
      return [def['valueType']];
    default:
      return objects(wrapped, value).flatMap((object) => (typeof segment === 'string' && Object.hasOwn(object.shape, segment) ? [object.shape[segment]] : []));
  }
}

/**
 * The keys the manifest allows in the mapping at `path`, read from the schema, the value (`input`,
 * the whole manifest as parsed) telling a union's `type` apart; undefined when the path leads to
 * no mapping the schema knows.
 */
export function knownKeysAt(path: readonly PathSegment[], input: unknown): string[] | undefined {
  let schemas: unknown[] = [manifestSchema];
  let value = input;
  for (const segment of path) {
    schemas = schemas.flatMap((schema) => child(schema, segment, value));
    value = value !== null && typeof value === 'object' ? (value as Record<PathSegment, unknown>)[segment] : undefined;
  }
  const keys = schemas.flatMap((schema) => objects(schema, value)).flatMap((object) => Object.keys(object.shape));
  return keys.length ? [...new Set(keys)] : undefined;
}

const keysOf = (schema: unknown): string[] => [...new Set(objects(schema, undefined).flatMap((object) => Object.keys(object.shape)))];

/** Where a key belongs when it is one level too high: the keys a level down, and how to say so. */
const LEVELS_DOWN: readonly { where: (path: readonly PathSegment[]) => boolean; keys: () => string[]; hint: string }[] = [
  { where: (path) => path.length === 0, keys: () => keysOf(defaultsSchema), hint: 'belongs under defaults: (or inside a service)' },
  { where: (path) => path.length === 0, keys: () => keysOf(serviceSchema), hint: 'belongs inside a service: indent it under services.<name>' },
  { where: (path) => path.length === 2 && path[0] === 'services', keys: () => keysOf(checkSpec), hint: 'belongs inside a check: an item of the service\'s checks: list' },
  { where: (path) => path.length === 2 && path[0] === 'services', keys: () => keysOf(restartSpec), hint: 'belongs inside the service\'s restart:' },
];

/**
 * The message for `key`, unknown in the mapping at `path`: `unknown key: checks belongs inside a
 * service: …`, `unknown key: did you mean body_contains?`, `unknown key (allowed here:
 * path, equals)`, or plain `unknown key`. `known` are the keys allowed there, `present` the keys
 * the mapping has (never suggested: a key set twice would be a duplicate).
 */
export function unknownKeyText(key: string, path: readonly PathSegment[], known: readonly string[] | undefined, present: ReadonlySet<string>): string {
  if (!known) return 'unknown key';
  // A key of the level below, exactly, says more than a key here a typo away.
  const below = LEVELS_DOWN.find((level) => level.where(path) && level.keys().includes(key));
  if (below) return `unknown key: ${key} ${below.hint}`;
  const close = nearest(key, known.filter((k) => !present.has(k)));
  if (close.length) return `unknown key: did you mean ${close.join(' or ')}?`;
  return known.length <= LISTED_KEYS ? `unknown key (allowed here: ${known.join(', ')})` : 'unknown key';
}
