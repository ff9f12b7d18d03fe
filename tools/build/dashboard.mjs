// Builds the dashboard (apps/dashboard) into dist/dashboard, which the gateway serves at `/`: typed documents
// first (graphql-codegen against the checked-in supergraph — a document the schema no longer answers fails
// here), then Vite. Its own step, so that `npm run build` (the services, swc) stays about a second; `npm start`,
// the test run and the dashboard's tests call it. Skipped when nothing it reads changed since the last build
// (a hash of the dashboard's sources, the supergraph and the lockfile, kept beside the output);
// `--force` builds anyway, `--check` only says whether a build is due (exit code 1 when it is).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const app = join(root, 'apps', 'dashboard');
const out = join(root, 'dist', 'dashboard');
const stamp = join(out, '.build-hash');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'gql' || name === 'test' || name === 'node_modules') return [];
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function sourcesHash() {
  const hash = createHash('sha256');
  const inputs = [
    ...files(app),
    join(root, 'apps', 'gateway', 'supergraph.graphql'),
    join(root, 'package-lock.json'),
    fileURLToPath(import.meta.url),
  ].sort();
  for (const path of inputs)
    hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  return hash.digest('hex');
}

/** graphql-codegen: src/gql/ from the documents in src/ and the supergraph's API schema. */
export function generateDocuments() {
  execFileSync(bin('graphql-codegen'), ['--config', join(app, 'codegen.ts'), '--silent'], {
    cwd: root,
    stdio: 'inherit',
  });
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const hash = sourcesHash();
  const built =
    existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && existsSync(join(out, 'index.html'));
  if (process.argv.includes('--check')) {
    console.log(built ? 'dashboard: up to date' : 'dashboard: a build is due');
    process.exit(built ? 0 : 1);
  }
  if (built && !process.argv.includes('--force') && !process.argv.includes('--codegen-only')) {
    console.log('dashboard: up to date (dist/dashboard)');
  } else {
    const started = performance.now();
    generateDocuments();
    if (!process.argv.includes('--codegen-only')) {
      execFileSync(bin('vite'), ['build', '--config', join(app, 'vite.config.mts'), '--logLevel', 'warn'], {
        cwd: root,
        stdio: 'inherit',
        // always a production bundle, whoever calls: jest sets NODE_ENV=test, which Vite would otherwise take for
        // process.env.NODE_ENV, shipping React's and antd's development builds
        env: { ...process.env, NODE_ENV: 'production', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
      });
      writeFileSync(stamp, hash);
      console.log(
        `dashboard: built in ${((performance.now() - started) / 1000).toFixed(1)}s (dist/dashboard)`,
      );
    }
  }
}
