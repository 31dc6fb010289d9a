/**
 * Where a worker_threads entry is: the compiled .js next to the calling module. Workers always run
 * the compiled build (worker_threads cannot load TypeScript); when the caller itself was loaded from
 * its .ts source (under a test runner's transform), the same path under dist/ is used.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** The package root: one level above lib/ and dist/. */
const ROOT = resolve(__dirname, '..');

/**
 * The compiled worker entry `name`.js beside the module in `dir`.
 * @throws Error naming the file when it was not built.
 */
export function workerFile(dir: string, name: string): string {
  const sibling = join(dir, `${name}.js`);
  if (existsSync(sibling)) return sibling;
  const built = join(ROOT, 'dist', relative(join(ROOT, 'lib'), dir), `${name}.js`);
  if (existsSync(built)) return built;
  throw new Error(`worker entry ${built} is missing: build it with 'npm run build:ts'`);
}
