// Finds the shared fixtures folder (large reference files kept out of the repository): `shared/fixtures` in the
// repository's folder or in any folder above it.
import fs from 'node:fs';
import path from 'node:path';

export function sharedFixtures(repo) {
  for (let dir = repo; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'fixtures');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no shared/fixtures folder in or above ${repo}`);
  }
}
