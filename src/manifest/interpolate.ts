/**
 * `${VAR}` interpolation over the parsed manifest. Only string values are touched, after YAML
 * parsing, so a variable's value can never change the document's structure. `$$` is a literal
 * `$`; `${VAR:-fallback}` uses the fallback when VAR is unset or empty; an unset variable
 * without a fallback is a problem that names it. The values substituted are returned as secrets
 * so the logger can keep them out of every line.
 */

export type PathSegment = string | number;

/** A string of the manifest that holds a `$`, where it is and as it is written in the file. */
export type Template = { path: PathSegment[]; template: string };

export type InterpolationResult = {
  value: unknown;
  problems: { path: PathSegment[]; message: string }[];
  secrets: string[];
  /** Every string that held a `$`, in the order they were read (the order `secrets` follows). */
  templates: Template[];
  /** Every variable name looked up, set or not: all the result depends on besides the text. */
  names: string[];
};

/** What interpolating strings found: filled in as it goes. */
export type Found = {
  /** Values substituted from the environment, in the order first met. */
  secrets: Set<string>;
  /** Variable names looked up, set or not. */
  names: Set<string>;
  /** Variables substituted (set and not empty), in the order first met. */
  used: Set<string>;
};

const TOKEN = /\$\$|\$\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An empty {@link Found}. */
export function found(): Found {
  return { secrets: new Set(), names: new Set(), used: new Set() };
}

/**
 * Interpolates one string, recording what it used in `into`. A problem (a bad reference, an
 * unset variable) is passed to `problem` and leaves the reference as written. The one
 * definition of interpolation: the manifest cache re-runs it on the templates it keeps.
 */
export function interpolateString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  into: Found,
  problem: (message: string) => void,
): string {
  return text.replace(TOKEN, (token, inner: string | undefined) => {
    if (token === '$$') return '$';
    const [name = '', fallback] = splitFallback(inner ?? '');
    if (!VAR_NAME.test(name)) {
      problem(`"${token}" is not a valid variable reference (use \${NAME} or $$ for a literal $)`);
      return token;
    }
    into.names.add(name);
    const value = env[name];
    if (value !== undefined && value !== '') {
      into.secrets.add(value);
      into.used.add(name);
      return value;
    }
    if (fallback !== undefined) return fallback;
    problem(`environment variable ${name} is not set`);
    return token;
  });
}

export function interpolate(value: unknown, env: Readonly<Record<string, string | undefined>>): InterpolationResult {
  const problems: InterpolationResult['problems'] = [];
  const templates: Template[] = [];
  const into = found();

  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('$')) return node;
      templates.push({ path, template: node });
      return interpolateString(node, env, into, (message) => problems.push({ path, message }));
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };

  const result = walk(value, []);
  return { value: result, problems, secrets: [...into.secrets], templates, names: [...into.names] };
}

function splitFallback(inner: string): [string, string | undefined] {
  const at = inner.indexOf(':-');
  return at === -1 ? [inner, undefined] : [inner.slice(0, at), inner.slice(at + 2)];
}
