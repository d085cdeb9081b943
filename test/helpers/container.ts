/**
 * A real systemd for tests: this machine's own tree booted as a throwaway container with
 * systemd-nspawn (Debian package systemd-container), one per test file, always shut down.
 *
 * - `/` is a tmpfs with the host's /usr (`--volatile=yes`); /etc is an overlay of the host's
 *   with a throwaway upper layer (`--overlay=/etc::/etc`: without an /etc, systemd-firstboot
 *   waits for input and every job queues behind it); its own network (loopback only).
 * - Units that have no business starting are masked on the kernel command line: getty,
 *   timesyncd, firstboot, and every unit this host enabled itself (databases, exporters, timers).
 * - The repo's dist/, package.json, node_modules and test/fixtures are bound in read-only at the
 *   same paths, the node running the tests at {@link CONTAINER_NODE}, and a scratch folder of
 *   the test file's own read-write at the same path inside and out.
 * - Commands run inside with `nsenter -t <init pid> -a`, as root or (setpriv) as a user, in a
 *   clean environment (`env -i`): no variable of the test process leaks in, faketime's included.
 *
 * The container is shut down by the pid this helper started (SIGTERM to systemd-nspawn, which
 * halts the container; SIGKILL after a grace), in afterAll and, failing that, when the test
 * process exits. Without root or systemd-nspawn each of the file's tests fails with one line
 * saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, rmdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createDeps, type Deps, type ExecOptions } from '../../src/deps.js';
import { silentLogger } from '../../src/log/logger.js';
import { ROOT } from './cli.js';

/** Where the test process's node binary is bound inside the container. */
export const CONTAINER_NODE = '/opt/heal-test/bin/node';
/** The PATH commands inside run with (cron's, plus sbin for root's tools). */
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** How long the boot may take on a loaded two-core machine before the tests give up on it. */
const BOOT_TIMEOUT_MS = 90_000;
/** Between SIGTERM to systemd-nspawn (an orderly halt) and SIGKILL. */
const SHUTDOWN_GRACE_MS = 30_000;
/** The default deadline of one command inside. */
const RUN_TIMEOUT_MS = 30_000;

/** A user inside the container. */
export type ContainerUser = { name: string; uid: number; gid: number; home: string };

export type RunOptions = {
  /** Run as this user (setpriv, no PAM, no session: like cron without pam_systemd). Default root. */
  user?: ContainerUser;
  /** The whole environment besides PATH (and HOME for a user). */
  env?: Record<string, string>;
  /** Written to the command's stdin. */
  input?: string;
  timeoutMs?: number;
};

export type RunResult = { code: number | null; stdout: string; stderr: string };

export type Container = {
  /**
   * The container booted. When it did not, every test of the file fails with the reason (a
   * beforeEach of this helper's); the file's own beforeAll set-up should then do nothing.
   */
  readonly ready: boolean;
  /** The container's init (systemd) as seen from the host. */
  readonly initPid: number;
  /** A scratch folder of this test file's, the same path inside and out, read-write. */
  readonly scratch: string;
  /** Runs argv inside the container; never rejects. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Runs argv inside and throws (with its output) unless it exits 0. */
  ok(argv: readonly string[], options?: RunOptions): Promise<string>;
  /** Writes a file inside the container (as the user, when given). */
  write(path: string, text: string, user?: ContainerUser): Promise<void>;
  /** A user with a home, lingering, its user manager up. */
  lingeringUser(name: string): Promise<ContainerUser>;
  /**
   * `deps.exec` that runs each command inside the container, as root, in the environment heal
   * gives it and nothing else (a scan started by cron).
   */
  exec: Deps['exec'];
};

/** What is missing for a real systemd here, or undefined. */
function missingPrerequisite(): string | undefined {
  if (process.platform !== 'linux') return 'they need Linux';
  if (process.getuid?.() !== 0) return 'they must run as root (systemd-nspawn boots the container)';
  for (const tool of ['systemd-nspawn', 'nsenter', 'setpriv']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
      return `${tool} is not installed (Debian: apt-get install systemd-container util-linux; npm test's scripts/test-peers.sh does it)`;
    }
  }
  return undefined;
}

/** Units every boot here masks, besides the ones this host enabled itself. */
const ALWAYS_MASKED = ['console-getty.service', 'getty@tty1.service', 'getty.target', 'systemd-timesyncd.service', 'systemd-firstboot.service'];
/** Units a boot needs even when this host enabled them itself. */
const NEEDED = /^(dbus|systemd-logind|systemd-journald|user@|user-runtime-dir@)/;

/** Units this host enabled (`/etc/systemd/system/*.wants/*`): a test container needs none of them. */
function hostEnabledUnits(): string[] {
  const root = '/etc/systemd/system';
  const units = new Set<string>();
  for (const entry of existsSync(root) ? readdirSync(root) : []) {
    if (!entry.endsWith('.wants')) continue;
    for (const unit of readdirSync(join(root, entry))) if (!NEEDED.test(unit)) units.add(unit);
  }
  return [...units];
}

/** The cgroup hierarchies a container's own cgroup is made in, when the host runs no systemd. */
function cgroupRoots(): string[] {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup']; // unified (v2) only
  return ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'].filter((dir) => existsSync(join(dir, 'cgroup.procs')));
}

/** Removes a cgroup folder and everything below it (cgroup folders go with rmdir, deepest first). */
function removeCgroup(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroup(join(dir, entry.name));
  try {
    rmdirSync(dir);
  } catch {
    // still busy (a process left over): the host cleans it up with the machine
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The child of `parent` whose command is systemd: the container's init. */
function findInit(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && comm === 'systemd') return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `nsenter` argv that runs `argv` inside, as `user`, in exactly `env` (plus PATH, HOME). */
function insideArgv(initPid: number, argv: readonly string[], user: ContainerUser | undefined, env: Record<string, string>): string[] {
  const as = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--'] : [];
  const vars = Object.entries({ PATH: CONTAINER_PATH, ...(user ? { HOME: user.home, USER: user.name, LOGNAME: user.name } : {}), ...env }).map(
    ([key, value]) => `${key}=${value}`,
  );
  return ['nsenter', '-t', String(initPid), '-a', '--', ...as, 'env', '-i', ...vars, ...argv];
}

/** A host environment without the test process's own settings (faketime's LD_PRELOAD above all). */
function hostEnv(): Record<string, string> {
  return { PATH: CONTAINER_PATH, LANG: 'C.UTF-8' };
}

/** Runs argv on the host with a deadline; never rejects. */
function runHost(argv: readonly string[], options: { input?: string; timeoutMs: number; env?: Record<string, string> }): Promise<RunResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const child = spawn(file as string, args, { env: options.env ?? hostEnv(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // gone
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Boots one container for this test file (beforeAll) and shuts it down after its tests
 * (afterAll). The returned object is usable inside tests and later hooks.
 */
export function useContainer(): Container {
  let nspawnPid = 0;
  let initPid = 0;
  let scratch = '';
  let work = '';
  let cgroups: string[] = [];
  const users = new Map<string, ContainerUser>();
  let failure: string | undefined;

  const killAll = (): void => {
    for (const pid of [initPid, nspawnPid]) {
      if (pid > 0 && alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  };
  const onExit = (): void => killAll();

  const container: Container = {
    get ready() {
      return initPid > 0 && failure === undefined;
    },
    get initPid() {
      return initPid;
    },
    get scratch() {
      return scratch;
    },
    run(argv, options = {}) {
      return runHost(insideArgv(initPid, argv, options.user, options.env ?? {}), {
        input: options.input,
        timeoutMs: options.timeoutMs ?? RUN_TIMEOUT_MS,
      });
    },
    async ok(argv, options = {}) {
      const result = await container.run(argv, options);
      if (result.code !== 0) throw new Error(`${argv.join(' ')} exited ${result.code} inside the container: ${result.stderr.trim() || result.stdout.trim()}`);
      return result.stdout;
    },
    async write(path, text, user) {
      await container.ok(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', path], { input: text, ...(user ? { user } : {}) });
    },
    async lingeringUser(name) {
      const known = users.get(name);
      if (known) return known;
      await container.ok(['useradd', '--create-home', '--shell', '/bin/sh', name]);
      const [uid, gid] = (await container.ok(['sh', '-c', 'id -u "$1"; id -g "$1"', 'sh', name])).trim().split('\n').map(Number);
      const user: ContainerUser = { name, uid: uid as number, gid: gid as number, home: `/home/${name}` };
      await container.ok(['loginctl', 'enable-linger', name]);
      // logind starts user@<uid>.service for a lingering user; wait until its manager answers.
      const deadline = Date.now() + BOOT_TIMEOUT_MS;
      for (;;) {
        const state = await container.run(['systemctl', '--user', 'is-system-running', '--wait'], {
          user,
          env: { XDG_RUNTIME_DIR: `/run/user/${user.uid}` },
          timeoutMs: Math.max(1_000, deadline - Date.now()),
        });
        if (['running', 'degraded'].includes(state.stdout.trim())) break;
        if (Date.now() > deadline) throw new Error(`the user manager of ${name} did not start: ${state.stdout.trim()} ${state.stderr.trim()}`);
        await sleep(200);
      }
      users.set(name, user);
      return user;
    },
    exec(argv, options: ExecOptions) {
      return execInside(initPid, argv, options);
    },
  };

  // A container that cannot boot fails every test of the file with the one line that says why
  // (a beforeAll that threw would only mark them skipped); the file's own set-up checks `ready`.
  beforeAll(async () => {
    try {
      await boot();
    } catch (error) {
      failure = (error as Error).message;
    }
  }, BOOT_TIMEOUT_MS + 10_000);

  beforeEach(() => {
    if (failure !== undefined) throw new Error(failure);
  });

  async function boot(): Promise<void> {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`the real-systemd tests cannot run here: ${missing}`);
    work = mkdtempSync(join(tmpdir(), 'heal-container-'));
    scratch = join(work, 'scratch');
    mkdirSync(scratch);
    chmodSync(work, 0o755);
    chmodSync(scratch, 0o777);
    const name = `heal-test-${process.pid}`;
    const binds = [
      ...['dist', 'package.json', 'node_modules', join('test', 'fixtures')].map((part) => `--bind-ro=${join(ROOT, part)}`),
      `--bind-ro=${process.execPath}:${CONTAINER_NODE}`,
      `--bind=${scratch}`,
    ];
    const masks = [...new Set([...ALWAYS_MASKED, ...hostEnabledUnits()])].map((unit) => `systemd.mask=${unit}`);
    const hostSystemd = existsSync('/run/systemd/system');
    const args = [
      '--quiet',
      '--directory=/',
      '--volatile=yes',
      '--overlay=/etc::/etc',
      '--private-network',
      '--register=no',
      // Without a systemd on the host there is no one to ask for a scope: stay in our own cgroup.
      ...(hostSystemd ? [] : ['--keep-unit']),
      `--machine=${name}`,
      '--console=passive',
      ...binds,
      '--boot',
      '--',
      ...masks,
    ];
    // Each container gets a cgroup of its own (nspawn puts its payload and supervisor below
    // it), so two test files booting at once never share one.
    cgroups = hostSystemd ? [] : cgroupRoots().map((root) => join(root, name));
    for (const dir of cgroups) mkdirSync(dir, { recursive: true });
    const enter = cgroups.map((dir) => `echo $$ > '${dir}/cgroup.procs'`).join(' && ');
    const log = openSync(join(work, 'boot.log'), 'a');
    const child = spawn('sh', ['-c', `${enter ? `${enter} && ` : ''}exec systemd-nspawn "$@"`, 'sh', ...args], {
      env: hostEnv(),
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    nspawnPid = child.pid as number;
    child.unref();
    process.once('exit', onExit);

    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    const bootLog = (): string => readFileSync(join(work, 'boot.log'), 'utf8').trim().split('\n').slice(-5).join(' | ');
    while (!(initPid = findInit(nspawnPid) ?? 0)) {
      if (!alive(nspawnPid) || child.exitCode !== null) throw new Error(`systemd-nspawn exited before the container booted: ${bootLog()}`);
      if (Date.now() > deadline) throw new Error(`the container did not start within ${BOOT_TIMEOUT_MS / 1_000}s: ${bootLog()}`);
      await sleep(50);
    }
    for (;;) {
      const state = await container.run(['systemctl', 'is-system-running', '--wait'], { timeoutMs: Math.max(1_000, deadline - Date.now()) });
      if (['running', 'degraded'].includes(state.stdout.trim())) break;
      if (Date.now() > deadline) throw new Error(`the container did not finish booting within ${BOOT_TIMEOUT_MS / 1_000}s: ${state.stdout.trim()} ${state.stderr.trim()} ${bootLog()}`);
      await sleep(200);
    }
  }

  afterAll(async () => {
    if (nspawnPid > 0 && alive(nspawnPid)) {
      process.kill(nspawnPid, 'SIGTERM'); // systemd-nspawn halts the container in order
      const until = Date.now() + SHUTDOWN_GRACE_MS;
      while (alive(nspawnPid) && Date.now() < until) await sleep(100);
      killAll();
      while (alive(nspawnPid)) await sleep(50);
    }
    process.removeListener('exit', onExit);
    for (const dir of cgroups) removeCgroup(dir);
    if (work) rmSync(work, { recursive: true, force: true });
  }, SHUTDOWN_GRACE_MS + 10_000);

  return container;
}

/**
 * heal's own exec (src/process/exec.ts, through createDeps) running `nsenter … env -i <heal's env> argv`:
 * the command runs inside the container as root with only the variables heal set for it.
 */
function execInside(initPid: number, argv: readonly string[], options: ExecOptions): ReturnType<Deps['exec']> {
  const { env, ...rest } = options;
  return createDeps(silentLogger()).exec(insideArgv(initPid, argv, undefined, env ?? {}), rest);
}
