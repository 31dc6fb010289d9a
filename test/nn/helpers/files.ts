/** A temporary directory per test file, removed after its tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { afterAll } from 'vitest';

/**
 * Makes a temporary directory removed after the calling file's tests.
 * @param prefix directory name prefix.
 * @returns the directory and a writer of files in it (returning their paths).
 */
export function tempFiles(prefix: string): { dir: string; file: (name: string, content: string | Buffer) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file: (name, content) => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
  };
}
