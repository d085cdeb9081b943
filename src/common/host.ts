/** A manifest's host as node:net and node:tls want it. */

/** "[::1]" in a manifest (as in a URL) is "::1" to node:net and node:tls. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
