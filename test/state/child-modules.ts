/**
 * Child processes must race on the real `acquireLock`, but Node 20 cannot run TypeScript and the
 * tests must not depend on a build. So the few modules the lock needs are transpiled (types
 * erased, nothing else changed) into a temp dir whose `node_modules` links to the project's.
 */
import { mkdir, symlink, writeFile, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const MODULES = ['src/errors.ts', 'src/logger.ts', 'src/state/schema.ts', 'src/state/store.ts', 'src/state/lock.ts'];

/** Transpiles the state modules into `dir`; returns the file URL of the compiled `lock.js`. */
export async function compileStateModules(dir: string): Promise<{ lockModule: string; storeModule: string }> {
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const source of MODULES) {
    const text = await readFile(join(projectRoot, source), 'utf8');
    const output = ts.transpileModule(text, {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(dir, source.replace(/\.ts$/, '.js'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, output.outputText);
  }
  const url = (path: string): string => pathToFileURL(join(dir, path)).href;
  return { lockModule: url('src/state/lock.js'), storeModule: url('src/state/store.js') };
}
