/**
 * `${VAR}` interpolation over the parsed manifest. Only string values are touched, after YAML
 * parsing, so a variable's value can never change the document's structure. `$$` is a literal
 * `$`; `${VAR:-fallback}` uses the fallback when VAR is unset or empty; an unset variable
 * without a fallback is a problem that names it. The values substituted are returned as secrets
 * so the logger can keep them out of every line.
 */

export type PathSegment = string | number;

export type InterpolationResult = {
  value: unknown;
  problems: { path: PathSegment[]; message: string }[];
  secrets: string[];
};

const TOKEN = /\$\$|\$\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function interpolate(value: unknown, env: Readonly<Record<string, string | undefined>>): InterpolationResult {
  const problems: InterpolationResult['problems'] = [];
  const secrets = new Set<string>();

  const substitute = (text: string, path: PathSegment[]): string =>
    text.replace(TOKEN, (token, inner: string | undefined) => {
      if (token === '$$') return '$';
      const [name = '', fallback] = splitFallback(inner ?? '');
      if (!VAR_NAME.test(name)) {
        problems.push({ path, message: `"${token}" is not a valid variable reference (use \${NAME} or $$ for a literal $)` });
        return token;
      }
      const found = env[name];
      if (found !== undefined && found !== '') {
        secrets.add(found);
        return found;
      }
      if (fallback !== undefined) return fallback;
      problems.push({ path, message: `environment variable ${name} is not set` });
      return token;
    });

  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') return node.includes('$') ? substitute(node, path) : node;
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };

  return { value: walk(value, []), problems, secrets: [...secrets] };
}

function splitFallback(inner: string): [string, string | undefined] {
  const at = inner.indexOf(':-');
  return at === -1 ? [inner, undefined] : [inner.slice(0, at), inner.slice(at + 2)];
}
