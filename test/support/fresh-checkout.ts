/**
 * A copy of the project as a fresh clone would have it: the files git tracks plus the untracked
 * ones it does not ignore (so uncommitted work is tested too), with node_modules linked rather
 * than reinstalled, and built as `npm install` would build it (its `prepare` script).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from './server-process.js';

export function freshCheckout(): string {
  const dir = tempDir('checkout');
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: REPO_ROOT },
  )
    .toString('utf8')
    .split('\0')
    .filter((f) => f.length > 0);
  for (const file of files) {
    const from = path.join(REPO_ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    const to = path.join(dir, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, stdio: 'ignore' });
  return dir;
}
