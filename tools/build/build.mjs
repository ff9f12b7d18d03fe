// Compiles every app, lib and tool from TypeScript to CommonJS in dist/ with swc (about a second), so that
// services start fast and small: no compiler in the running process. Type checking is `npm run typecheck`.
// The swc options are the workspace's .swcrc; the path aliases come from tsconfig.base.json (one source).
// The dashboard (a browser app, built by Vite: tools/build/dashboard.mjs) is not compiled here; its output,
// dist/dashboard, is carried over into each new dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
delete swcrc.$schema;
swcrc.jsc.baseUrl = root;
swcrc.jsc.paths = compilerOptions.paths;
swcrc.sourceMaps = true;

const work = mkdtempSync(join(tmpdir(), 'unionfed-build-'));
const config = join(work, 'swcrc.json');
writeFileSync(config, JSON.stringify(swcrc));
// build beside dist/ and swap it in, so that services or tests running from dist/ meanwhile never see it half-written
const next = join(root, `dist.next-${process.pid}`);
const old = join(root, `dist.old-${process.pid}`);
const swcArgs = ['apps', 'libs', 'tools', '-d', next, '--copy-files', '--config-file', config];
try {
  execFileSync(
    join(root, 'node_modules', '.bin', 'swc'),
    [...swcArgs, '--ignore', '**/*.spec.ts,**/test/**,apps/dashboard/**', '-q'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const dashboard = join(root, 'dist', 'dashboard');
  if (existsSync(dashboard)) renameSync(dashboard, join(next, 'dashboard'));
  if (existsSync(join(root, 'dist'))) renameSync(join(root, 'dist'), old);
  renameSync(next, join(root, 'dist'));
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(next, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}
