/**
 * Child processes must race on the real `acquireLock`, but Node 20 cannot run TypeScript and the
 * tests must not depend on a build. So `lock.ts` and every project module it imports (followed
 * through relative imports) are transpiled — types erased, nothing else changed — into a temp
 * dir whose `node_modules` links to the project's.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const ENTRY_POINTS = ['src/state/lock.ts', 'src/state/store.ts'];

/** Transpiles the state modules and their imports into `dir`; returns the compiled modules' URLs. */
export async function compileStateModules(dir: string): Promise<{ lockModule: string; storeModule: string }> {
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');

  const pending = ENTRY_POINTS.map((path) => join(projectRoot, path));
  const done = new Set<string>();
  for (let source = pending.pop(); source !== undefined; source = pending.pop()) {
    if (done.has(source)) continue;
    done.add(source);
    const text = await readFile(source, 'utf8');
    for (const { fileName } of ts.preProcessFile(text, true, false).importedFiles) {
      if (fileName.startsWith('.')) pending.push(resolve(dirname(source), fileName).replace(/\.js$/, '.ts'));
    }
    const output = ts.transpileModule(text, {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(dir, relative(projectRoot, source).replace(/\.ts$/, '.js'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, output.outputText);
  }
  const url = (path: string): string => pathToFileURL(join(dir, path)).href;
  return { lockModule: url('src/state/lock.js'), storeModule: url('src/state/store.js') };
}
