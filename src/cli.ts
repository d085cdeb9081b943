#!/usr/bin/env node
/**
 * The entry point, kept tiny: on Node 22 and later it turns on V8's on-disk compile cache before
 * the CLI's code is loaded, so every scan after the first skips compiling heal's bundle. On
 * Node 20 there is no such cache, and this only loads the CLI.
 */
import * as module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./main.js');
