/**
 * Reading listeners on this Linux machine, with real sockets: from ss, and from /proc/net/tcp{,6}
 * and /proc/PID/fd when ss is missing; a child process's socket is found through the process tree.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from '../../src/process/exec.js';
import { linuxListeners, processParents, procListeners } from '../../src/init/linux-sockets.js';
import { withDescendants } from '../../src/init/process-tree.js';

const listen = (host: string) =>
  new Promise<Server>((resolve) => {
    const server = createServer();
    server.listen(0, host, () => resolve(server));
  });
const portOf = (server: Server) => (server.address() as { port: number }).port;

describe('linux listeners', () => {
  let v4: Server;
  let v6: Server;
  let childPid = 0;
  let childPort = 0;

  beforeAll(async () => {
    v4 = await listen('127.0.0.1');
    v6 = await listen('::1');
    const child = spawn(process.execPath, ['-e', "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port))"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    childPid = child.pid as number;
    childPort = await new Promise<number>((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  }, 60_000);

  afterAll(() => {
    v4.close();
    v6.close();
    if (childPid) process.kill(childPid, 'SIGKILL');
  });

  it('finds the sockets a process and its child hold, from /proc alone', async () => {
    const pids = withDescendants(process.pid, await processParents());
    expect(pids).toContain(childPid);
    const found = await procListeners(pids);
    expect(found).toEqual(
      expect.arrayContaining([
        { address: '127.0.0.1', port: portOf(v4), pids: [process.pid] },
        { address: '::1', port: portOf(v6), pids: [process.pid] },
        { address: '127.0.0.1', port: childPort, pids: [childPid] },
      ]),
    );
  });

  it('asks ss first, and reads /proc when ss cannot be run', async () => {
    const withSs = await linuxListeners({ exec }, [process.pid]);
    // On a machine with thousands of listeners ss prints more than exec keeps, and /proc is read.
    expect(['ss', 'proc']).toContain(withSs.via);
    expect(withSs.listeners).toEqual(expect.arrayContaining([{ address: '::1', port: portOf(v6), pids: [process.pid] }]));

    // A machine without ss: the same exec, asked for a program that is not there.
    const noSs = await linuxListeners({ exec: (argv, options) => exec(['/nonexistent/ss', ...argv.slice(1)], options) }, [process.pid]);
    expect(noSs.via).toBe('proc');
    expect(noSs.listeners).toEqual(expect.arrayContaining([{ address: '127.0.0.1', port: portOf(v4), pids: [process.pid] }]));
  }, 60_000);
});
