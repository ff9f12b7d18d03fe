import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('package-lock.json', () => {
  it('lists every platform build of native packages, so that `npm ci` accepts it on a fresh machine', () => {
    const result = spawnSync(process.execPath, [join(__dirname, 'complete-lockfile.mjs'), '--check'], {
      encoding: 'utf8',
    });
    // when this fails: run `npm run lock:complete` and commit package-lock.json
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
