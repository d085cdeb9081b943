/**
 * A real, tiny file system for the full-disk and read-only tests: a tmpfs mounted (as root) on a
 * folder, filled to the last page or remounted read-only on demand, unmounted when the test ends.
 * Nothing is simulated: heal meets the kernel's own ENOSPC and EROFS.
 */
import { execFile } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** Mounting needs root; the tests that need a tiny file system run as root (CI does). */
export const CAN_MOUNT = process.platform === 'linux' && process.getuid?.() === 0;

export type TinyFs = {
  /** The mount point. */
  dir: string;
  /** Fills the file system until exactly `leaveBytes` (a multiple of the page size) remain free. */
  fill(leaveBytes?: number): Promise<void>;
  /** Frees what `fill` took. */
  unfill(): Promise<void>;
  readOnly(): Promise<void>;
  writable(): Promise<void>;
  /** Bytes free now. */
  free(): number;
};

function run(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 10_000 }, (error, _stdout, stderr) => (error ? reject(new Error(`${argv.join(' ')}: ${stderr || error.message}`)) : resolve()));
  });
}

/** Mounts a tmpfs of `sizeKiB` on `dir` (created 0700, the mode heal wants of a state directory); unmounted when the test finishes. */
export async function tinyFs(dir: string, sizeKiB = 64): Promise<TinyFs> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await run(['mount', '-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir]);
  onTestFinished(async () => {
    await run(['umount', dir]).catch(() => run(['umount', '-l', dir]));
  });
  const filler = join(dir, 'filler');
  const free = (): number => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    free,
    async fill(leaveBytes = 0) {
      await writeFile(filler, Buffer.alloc(Math.max(0, free() - leaveBytes)));
      if (free() !== leaveBytes) throw new Error(`could not leave exactly ${leaveBytes} bytes free on ${dir} (${free()} free)`);
    },
    async unfill() {
      await rm(filler, { force: true });
    },
    readOnly: () => run(['mount', '-o', 'remount,ro', dir]),
    writable: () => run(['mount', '-o', 'remount,rw', dir]),
  };
}
