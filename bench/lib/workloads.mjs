// The benchmark workloads: the same set of endpoints as a heal manifest and as a Monit control file.

/** `count` loopback endpoints spread over hosts 127.0.0.x and ports from `basePort`. */
export function endpoints(count, basePort, { perHost = 250 } = {}) {
  return Array.from({ length: count }, (_, i) => ({ host: `127.0.0.${2 + Math.floor(i / perHost)}`, port: basePort + (i % perHost) }));
}

/** A heal manifest: one service per endpoint, no restart (the benchmark measures checking). */
export function healManifest(list, { kind, timeout = '1s', stateDir }) {
  const lines = ['version: 1', `state_dir: ${JSON.stringify(stateDir)}`, 'scan_timeout: 60s', 'defaults: { timeout: ' + timeout + ' }', 'services:'];
  list.forEach(({ host, port }, i) => {
    const check = kind === 'http'
      ? `{ type: http, url: "http://${host}:${port}/health", body_contains: ok }`
      : `{ type: port, host: "${host}", port: ${port} }`;
    lines.push(`  s${i}: { checks: [ ${check} ] }`);
  });
  return `${lines.join('\n')}\n`;
}

/** The same endpoints as a Monit control file, run once (no `set daemon`). */
export function monitControl(list, { kind, timeoutSeconds = 1, dir }) {
  const lines = [`set logfile ${dir}/monit.log`, `set idfile ${dir}/monit.id`, `set statefile ${dir}/monit.state`];
  list.forEach(({ host, port }, i) => {
    lines.push(`check host s${i} with address ${host}`);
    lines.push(
      kind === 'http'
        ? `  if failed port ${port} protocol http request "/health" with content = "ok" with timeout ${timeoutSeconds} seconds then alert`
        : `  if failed port ${port} type tcp with timeout ${timeoutSeconds} seconds then alert`,
    );
  });
  return `${lines.join('\n')}\n`;
}
