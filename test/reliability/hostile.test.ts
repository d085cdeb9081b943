/**
 * Hostile services: HTTP endpoints that stream an endless body, send headers forever (endless
 * header lines, or one header line that never ends), redirect in a loop, answer with gigabytes
 * (streamed lazily, never allocated), or drip a byte at a time. Every http check (with
 * `body_contains` or `json`, so the body must be read) fails at its timeout or at the 1 MiB body
 * cap, the scan ends within its deadline, and the heal process's peak RSS stays bounded — also
 * with a webhook channel whose endpoint answers an error with gigabytes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { workspace, type Workspace } from '../helpers/cli.js';
import { serverScope, startTcpServer, type RunningServer } from '../helpers/servers.js';
import { builtCli } from './support.js';
import { hookAlerts } from '../helpers/webhook-receiver.js';

const servers = serverScope();
let ws: Workspace | undefined;
afterEach(() => servers.closeAll());

const GNU_TIME = '/usr/bin/time';
const TIMEOUT_MS = 2_000;
const SCAN_TIMEOUT_MS = 12_000;
const RSS_LIMIT_KB = 200 * 1024;

/** Bytes each server wrote, to show that a client which stops reading stops the stream. */
const sent = new Map<string, number>();

/**
 * A raw HTTP server: reads the request head, then hands the socket to `respond`. Raw, so it can
 * send what node:http would not (endless headers, lies about lengths).
 */
async function rawHttp(name: string, respond: (socket: Socket, count: (n: number) => void) => void): Promise<RunningServer> {
  sent.set(name, 0);
  const count = (n: number): void => void sent.set(name, (sent.get(name) ?? 0) + n);
  return servers.add(
    startTcpServer((socket) => {
      let head = '';
      const onData = (data: Buffer): void => {
        head += data.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        socket.resume(); // drop anything else the client sends
        respond(socket, count);
      };
      socket.on('data', onData);
    }),
  );
}

/** Writes `next()` over and over, as fast as the client reads and never faster, until `total` bytes or the socket closes. */
function pump(socket: Socket, next: () => Buffer, count: (n: number) => void, total = Infinity): void {
  let written = 0;
  const write = (): void => {
    while (!socket.destroyed && written < total) {
      const chunk = next();
      written += chunk.length;
      count(chunk.length);
      if (!socket.write(chunk)) return void socket.once('drain', write);
    }
    if (!socket.destroyed) socket.end();
  };
  write();
}

/** Writes one byte every `everyMs` until the socket closes. */
function drip(socket: Socket, byte: string, everyMs: number, count: (n: number) => void): void {
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(byte);
    count(1);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');
const chunked = Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from('\r\n')]);

function runWithPeakRss(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string; peakKb: number | undefined }> {
  const measured = existsSync(GNU_TIME);
  const [file, argv] = measured ? [GNU_TIME, ['-f', 'peak-rss-kb=%M', process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolve) => {
    execFile(file, argv, { cwd, env: { ...process.env, HEAL_CONFIG: '', HEAL_STATE_DIR: '' }, timeout: 60_000, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      const peak = /peak-rss-kb=(\d+)/.exec(stderr)?.[1];
      resolve({ code, stdout, stderr, peakKb: peak ? Number(peak) : undefined });
    });
  });
}

describe('hostile HTTP endpoints', () => {
  it('fail each check at its timeout or at the body cap, within the deadline, in bounded memory', { timeout: 90_000 }, async () => {
    const endless = await rawHttp('endless body', (socket, count) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n');
      pump(socket, () => chunked, count);
    });
    const gigabytes = await rawHttp('gigabytes', (socket, count) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${8 * 1024 ** 3}\r\n\r\n`);
      pump(socket, () => CHUNK, count, 8 * 1024 ** 3);
    });
    const headerLines = await rawHttp('endless header lines', (socket, count) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      let n = 0;
      pump(socket, () => Buffer.from(`x-junk-${n++}: ${'y'.repeat(100)}\r\n`), count);
    });
    const headerLine = await rawHttp('one endless header line', (socket, count) => {
      socket.write('HTTP/1.1 200 OK\r\nx-endless: ');
      pump(socket, () => CHUNK, count);
    });
    const loop = await rawHttp('redirect loop', (socket) => {
      socket.end(`HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:${socket.localPort}/health\r\ncontent-length: 0\r\n\r\n`);
    });
    const dripping = await rawHttp('dripping body', (socket, count) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n');
      drip(socket, '1\r\nx\r\n', 50, count);
    });
    const drippingHead = await rawHttp('dripping headers', (socket, count) => drip(socket, 'H', 50, count));
    const hugeError = await rawHttp('webhook answering with gigabytes', (socket, count) => {
      socket.write(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: ${8 * 1024 ** 3}\r\n\r\n`);
      pump(socket, () => CHUNK, count, 8 * 1024 ** 3);
    });

    const url = (server: RunningServer): string => `http://127.0.0.1:${server.port}/health`;
    ws = await workspace(`version: 1
log_file: heal.log
scan_timeout: ${SCAN_TIMEOUT_MS / 1000}s
defaults: { timeout: ${TIMEOUT_MS / 1000}s }
${hookAlerts(url(hugeError), { timeout: '2s' })}services:
  endless:       { checks: [ { type: http, url: "${url(endless)}", body_contains: never-there } ] }
  gigabytes:     { checks: [ { type: http, url: "${url(gigabytes)}", json: { path: status, equals: up } } ] }
  gigabytes-text: { checks: [ { type: http, url: "${url(gigabytes)}", body_contains: never-there } ] }
  header-lines:  { checks: [ { type: http, url: "${url(headerLines)}", body_contains: ok } ] }
  header-line:   { checks: [ { type: http, url: "${url(headerLine)}", body_contains: ok } ] }
  redirect-loop: { checks: [ { type: http, url: "${url(loop)}", body_contains: ok } ] }
  redirect-200:  { checks: [ { type: http, url: "${url(loop)}", status: 200, body_contains: ok } ] }
  dripping:      { checks: [ { type: http, url: "${url(dripping)}", body_contains: never-there } ] }
  dripping-head: { checks: [ { type: http, url: "${url(drippingHead)}", body_contains: ok } ] }
`);
    const run = await runWithPeakRss([await builtCli(), 'scan', '--json', '--config', ws.manifest, '--state-dir', ws.stateDir], ws.dir);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { durationMs: number; outbox: Record<string, number>; services: { name: string; status: string; checks: { ok: boolean; latencyMs: number; error?: string }[] }[] };
    const byName = Object.fromEntries(report.services.map((s) => [s.name, s.checks[0]!]));
    const expected: Record<string, RegExp> = {
      endless: /^body does not contain "never-there" in its first 1 MiB$/,
      gigabytes: /^body is larger than 1 MiB \(json status not read\)$/,
      'gigabytes-text': /^body does not contain "never-there" in its first 1 MiB$/,
      'header-lines': /header|overflow|parse/i,
      'header-line': /header|overflow|parse/i,
      'redirect-loop': /^body does not contain "ok"$/, // a 3xx is a status like any other, never followed
      'redirect-200': /^status 302 \(expected 200\), redirects to http:\/\/127\.0\.0\.1:\d+\/health$/,
      dripping: /^timed out after 2s$/,
      'dripping-head': /^timed out after 2s$|parse/i,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      const check = byName[name];
      expect(check?.ok, name).toBe(false);
      expect(check?.error, name).toMatch(pattern);
      expect(check!.error!.length, `${name}: a one-line, short error`).toBeLessThan(300);
      expect(check!.latencyMs, `${name} ends at its timeout`).toBeLessThanOrEqual(TIMEOUT_MS + 500);
    }
    expect(report.durationMs).toBeLessThanOrEqual(SCAN_TIMEOUT_MS);
    expect(report.outbox).toEqual({ hook: 1 }); // the 500 is retried next scan; its body was never read past 4 kB

    const figures = { peakRssMb: run.peakKb && Math.round(run.peakKb / 1024), durationMs: report.durationMs, sentMb: Object.fromEntries([...sent].map(([k, v]) => [k, Math.round(v / 1024 / 1024)])) };
    console.log(`hostile figures: ${JSON.stringify(figures)}`);
    // What a stream pushed before the client hung up is bounded by the cap plus the sockets' buffers.
    for (const name of ['endless body', 'gigabytes', 'endless header lines', 'one endless header line', 'webhook answering with gigabytes']) {
      expect(sent.get(name), name).toBeLessThan(64 * 1024 * 1024);
    }
    expect(run.peakKb, `${GNU_TIME} (Debian package "time", installed by npm test's set-up) measures heal's peak memory`).toBeDefined();
    expect(run.peakKb).toBeLessThan(RSS_LIMIT_KB);
  });
});
