// Bundles the CLI with esbuild: every command a lazily loaded chunk, the libraries a scan always
// needs (commander, yaml, zod, pino) inside the bundle, so starting heal resolves a handful of
// files instead of some four hundred. discord.js and nodemailer stay outside and are loaded
// only when a send needs them. `tsc` type-checks; this only emits.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['discord.js', 'nodemailer'],
  // Bundled CommonJS (commander, pino) calls require(); give ES modules one.
  banner: { js: "import { createRequire as __healCreateRequire } from 'node:module'; const require = __healCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
