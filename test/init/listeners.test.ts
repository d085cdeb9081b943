/**
 * Reading listeners from the tools' output. The ss lines were captured on this project's Debian
 * machine (`ss -Hltnp`, iproute2 6.x); the /proc/net/tcp{,6} lines likewise; the lsof lines
 * follow macOS's `lsof -nP -iTCP -sTCP:LISTEN` (COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE
 * NAME; e.g. "httpd 123 _www 4u IPv6 0xc27b87c7b8c7b8c7 0t0 TCP *:http (LISTEN)" quoted at
 * https://code-examples.net/en/q/437801, with -P printing the port as a number).
 */
import { describe, expect, it } from 'vitest';
import { byPort, dialHost, parseLsof, parseProcNetTcp, parseSs, socketInode, splitAddress } from '../../src/init/listeners.js';

describe('splitAddress', () => {
  it.each([
    ['0.0.0.0:8080', { address: '0.0.0.0', port: 8080 }],
    ['*:3000', { address: '*', port: 3000 }],
    ['127.0.0.1:4000', { address: '127.0.0.1', port: 4000 }],
    ['[::]:80', { address: '::', port: 80 }],
    ['[::1]:8443', { address: '::1', port: 8443 }],
    ['127.0.0.53%lo:53', { address: '127.0.0.53', port: 53 }],
    ['[fe80::1%eth0]:22', { address: 'fe80::1', port: 22 }],
    ['*:*', undefined],
    ['nonsense', undefined],
    ['1.2.3.4:70000', undefined],
  ])('%s', (text, expected) => {
    expect(splitAddress(text)).toEqual(expected);
  });
});

describe('parseSs', () => {
  it('reads each LISTEN line: its address, port and the pids in users:(…)', () => {
    const output = [
      'LISTEN 0      511    127.0.0.2:31023 0.0.0.0:* users:(("node",pid=17222,fd=42)) ',
      'LISTEN 0      4096   127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=301,fd=14))',
      'LISTEN 0      511            [::1]:18777    [::]:* users:(("node",pid=26740,fd=21))',
      'LISTEN 0      128          0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=700,fd=3),("sshd",pid=700,fd=4),("sshd",pid=9,fd=3))',
      'LISTEN 0      511          *:9100 *:*',
      '',
    ].join('\n');
    expect(parseSs(output)).toEqual([
      { address: '127.0.0.2', port: 31023, pids: [17222] },
      { address: '127.0.0.53', port: 53, pids: [301] },
      { address: '::1', port: 18777, pids: [26740] },
      { address: '0.0.0.0', port: 22, pids: [700, 9] },
      { address: '*', port: 9100, pids: [] },
    ]);
  });
});

describe('parseProcNetTcp', () => {
  it('keeps the LISTEN (0A) sockets of /proc/net/tcp with their inodes, IPv4 words little-endian', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0200007F:792F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2886931 1 00000000d63c7bc6 100 0 0 10 0',
      '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 42 1 0000000028e35979 100 0 0 10 0',
      '   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 43 1 0000000028e35979 20 4 30 10 -1',
    ].join('\n');
    expect(parseProcNetTcp(text)).toEqual([
      { address: '127.0.0.2', port: 31023, inode: 2886931 },
      { address: '0.0.0.0', port: 8080, inode: 42 },
    ]);
  });

  it('reads /proc/net/tcp6 addresses as they are written: ::1, ::, and a v4-mapped one', () => {
    const text = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000001000000:4959 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2929839 1 0000000074b414f5 100 0 0 10 0',
      '   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1 0000000074b414f5 100 0 0 10 0',
      '   2: 0000000000000000FFFF00000100007F:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8 1 0000000074b414f5 100 0 0 10 0',
      '   3: 000080FE00000000FF3C0A02FE4D8B12:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9 1 0000000074b414f5 100 0 0 10 0',
    ].join('\n');
    expect(parseProcNetTcp(text)).toEqual([
      { address: '::1', port: 18777, inode: 2929839 },
      { address: '::', port: 80, inode: 7 },
      { address: '::ffff:127.0.0.1', port: 81, inode: 8 },
      { address: 'fe80::20a:3cff:128b:4dfe', port: 22, inode: 9 },
    ]);
  });

  it('reads a socket inode from an fd link, and nothing from a file', () => {
    expect(socketInode('socket:[2886931]')).toBe(2886931);
    expect(socketInode('/dev/null')).toBeUndefined();
    expect(socketInode('pipe:[12]')).toBeUndefined();
  });
});

describe('parseLsof', () => {
  it('reads IPv4 and IPv6 listeners on *, 127.0.0.1 and [::1], and skips the header', () => {
    const output = [
      'COMMAND   PID   USER   FD   TYPE             DEVICE SIZE/OFF NODE NAME',
      'node    12345 alice   21u  IPv6 0xc27b87c7b8c7b8c7      0t0  TCP *:3000 (LISTEN)',
      'node    12345 alice   22u  IPv4 0xc27b87c7b8c7b8c8      0t0  TCP 127.0.0.1:8080 (LISTEN)',
      'Python  23456 alice    5u  IPv6 0xc27b87c7b8c7b8c9      0t0  TCP [::1]:8443 (LISTEN)',
      'redis-se 345 alice    6u  IPv4 0xc27b87c7b8c7b8ca      0t0  TCP *:6379 (LISTEN)',
      'node    12345 alice   23u  IPv4 0xc27b87c7b8c7b8cb      0t0  TCP 127.0.0.1:8080->127.0.0.1:50000 (ESTABLISHED)',
    ].join('\n');
    expect(parseLsof(output)).toEqual([
      { address: '*', port: 3000, pids: [12345] },
      { address: '127.0.0.1', port: 8080, pids: [12345] },
      { address: '::1', port: 8443, pids: [23456] },
      { address: '*', port: 6379, pids: [345] },
    ]);
  });
});

describe('dialHost and byPort', () => {
  it.each([
    ['*', '127.0.0.1'],
    ['0.0.0.0', '127.0.0.1'],
    ['::', '127.0.0.1'],
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['10.0.0.5', '10.0.0.5'],
  ])('a socket bound to %s is dialled at %s', (address, host) => {
    expect(dialHost(address)).toBe(host);
  });

  it('keeps one listener per port, the first met, in port order', () => {
    expect(byPort([{ address: '::1', port: 90 }, { address: '*', port: 80 }, { address: '127.0.0.1', port: 90 }])).toEqual([
      { address: '*', port: 80 },
      { address: '::1', port: 90 },
    ]);
  });
});
