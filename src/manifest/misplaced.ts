/**
 * A service's key written at the services' level — `checks:` indented as far as the service's
 * name, not under it — reads to YAML as a service named `checks`, and to the schema as a service
 * with no checks, or as a duplicate service name when two services lost their `checks:` alike.
 * This says what it is, once, with the fix: `services.checks: a service named checks? checks:
 * belongs inside a service: indent it under api`. Used on the error path only.
 */
import { isMap, isScalar, type Document } from 'yaml';
import { serviceSchema } from './schema.js';

const SERVICE_KEYS: ReadonlySet<string> = new Set(Object.keys(serviceSchema.shape));

/**
 * Whether a service named `name` whose value is `value` is a service's key that lost its
 * indentation: the name is one of a service's keys, and the value is no service (not a mapping,
 * or a mapping without `checks`, which every service has). A real service named `checks` passes.
 */
export function isMisplacedServiceKey(name: string, value: unknown): boolean {
  if (!SERVICE_KEYS.has(name)) return false;
  return value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, 'checks');
}

/** The names under `services` that are misplaced service keys ({@link isMisplacedServiceKey}). */
export function misplacedServiceKeys(services: unknown): Set<string> {
  if (services === null || typeof services !== 'object' || Array.isArray(services)) return new Set();
  return new Set(Object.entries(services).filter(([name, value]) => isMisplacedServiceKey(name, value)).map(([name]) => name));
}

/** Whether `name`, a key under `services`, is one of a service's keys (checks, restart, …). */
export const isServiceKey = (name: string): boolean => SERVICE_KEYS.has(name);

/**
 * The service a misplaced key most likely belongs to: the nearest real service above the key's
 * first occurrence at or after `offset` (any occurrence when undefined) in the `services` mapping.
 */
export function serviceAbove(doc: Document, key: string, offset?: number): string | undefined {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const services = root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'services')?.value;
  if (!isMap(services)) return undefined;
  let above: string | undefined;
  for (const pair of services.items) {
    if (!isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    if (name === key && (offset === undefined || (pair.key.range?.[0] ?? 0) >= offset)) return above;
    if (!SERVICE_KEYS.has(name)) above = name;
  }
  return undefined;
}

/** The one line's message for a service key `key` found at the services' level. */
export function misplacedText(key: string, service: string | undefined): string {
  return `a service named ${key}? \`${key}:\` belongs inside a service: indent it under ${service ?? "the service's name"}`;
}
