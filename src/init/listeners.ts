/**
 * Reading who listens on which TCP port, in pure functions over the tools' output: `ss -Hltnp`
 * and `/proc/net/tcp`, `/proc/net/tcp6` (Linux), `lsof -nP -iTCP -sTCP:LISTEN` (macOS); and
 * which address a check should dial for a socket bound to an address.
 */
import type { Listener } from './types.js';

/** A listening socket and the pids that hold it. */
export type OwnedListener = Listener & { pids: number[] };

/** `0.0.0.0:80`, `*:80`, `[::]:80`, `[::1]:80`, `127.0.0.53%lo:53` → address and port. */
export function splitAddress(text: string): Listener | undefined {
  const at = text.lastIndexOf(':');
  if (at <= 0) return undefined;
  const port = Number(text.slice(at + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  let address = text.slice(0, at).replace(/%[^\]]*/, '');
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  return { address, port };
}

/**
 * `ss -Hltnp` lines: `LISTEN 0 511 0.0.0.0:8080 0.0.0.0:* users:(("node",pid=123,fd=18))`.
 * Sockets without a `users:` part (another user's, when not root) are kept with no pids.
 */
export function parseSs(stdout: string): OwnedListener[] {
  const found: OwnedListener[] = [];
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'LISTEN' || fields.length < 5) continue;
    const listener = splitAddress(fields[3] as string);
    if (!listener) continue;
    const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    found.push({ ...listener, pids: [...new Set(pids)] });
  }
  return found;
}

/** `0100007F` (a little-endian word of /proc/net/tcp) → `127.0.0.1`. */
function ipv4FromHex(hex: string): string {
  const bytes = [6, 4, 2, 0].map((at) => parseInt(hex.slice(at, at + 2), 16));
  return bytes.join('.');
}

/** The 32 hex digits of /proc/net/tcp6 (four little-endian words) → `::1`, `::`, `fe80::…`. */
function ipv6FromHex(hex: string): string {
  const groups: string[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    const bytes = [6, 4, 2, 0].map((at) => w.slice(at, at + 2));
    groups.push(`${bytes[0]}${bytes[1]}`, `${bytes[2]}${bytes[3]}`);
  }
  const full = groups.map((g) => parseInt(g, 16).toString(16));
  if (full.slice(0, 5).every((g) => g === '0') && full[5] === 'ffff') {
    return `::ffff:${ipv4FromHex([...(hex.slice(24, 32).match(/../g) ?? [])].join(''))}`;
  }
  // Collapse the longest run of zero groups once, as an address is written.
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (full[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && full[j] === '0') j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j;
  }
  if (best.length < 2) return full.join(':');
  return `${full.slice(0, best.at).join(':')}::${full.slice(best.at + best.length).join(':')}`;
}

/**
 * The listening sockets of `/proc/net/tcp` or `/proc/net/tcp6` (state `0A`), each with its inode:
 * `0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 123456 …`.
 */
export function parseProcNetTcp(text: string): (Listener & { inode: number })[] {
  const found: (Listener & { inode: number })[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== '0A') continue;
    const [hexAddress, hexPort] = (fields[1] as string).split(':');
    if (!hexAddress || !hexPort) continue;
    const address = hexAddress.length === 8 ? ipv4FromHex(hexAddress) : ipv6FromHex(hexAddress);
    found.push({ address, port: parseInt(hexPort, 16), inode: Number(fields[9]) });
  }
  return found;
}

/** `socket:[123456]` (a /proc/PID/fd link) → 123456. */
export function socketInode(link: string): number | undefined {
  const match = /^socket:\[(\d+)\]$/.exec(link);
  return match ? Number(match[1]) : undefined;
}

/**
 * `lsof -nP -iTCP -sTCP:LISTEN [-a -p PIDS]` output:
 * `node    12345 me   21u  IPv6 0xa1b2c3      0t0  TCP *:3000 (LISTEN)`. The header line and
 * anything not in LISTEN are skipped.
 */
export function parseLsof(stdout: string): OwnedListener[] {
  const found: OwnedListener[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^\S+\s+(\d+)\s.*\sTCP\s+(\S+)\s+\(LISTEN\)\s*$/.exec(line);
    if (!match) continue;
    const listener = splitAddress(match[2] as string);
    if (listener) found.push({ ...listener, pids: [Number(match[1])] });
  }
  return found;
}

/**
 * The host a check should dial for a socket bound to `address`: 127.0.0.1 for every IPv4 and
 * wildcard binding (`*`, `0.0.0.0`, `::` also accept IPv4 on Linux and macOS by default), `::1`
 * for the IPv6 loopback, else the address itself.
 */
export function dialHost(address: string): string {
  if (['*', '0.0.0.0', '::', '127.0.0.1', '::ffff:127.0.0.1'].includes(address)) return '127.0.0.1';
  return address;
}

/** One listener per port, the first met, in port order. */
export function byPort(listeners: readonly Listener[]): Listener[] {
  const seen = new Map<number, Listener>();
  for (const l of listeners) if (!seen.has(l.port)) seen.set(l.port, l);
  return [...seen.values()].sort((a, b) => a.port - b.port);
}
