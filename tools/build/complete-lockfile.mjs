// npm records every platform build of a native package (swc, buf, …) in package-lock.json, so that `npm ci`
// accepts the lock on any machine. This workplace's registry does not serve some of those builds (other
// operating systems), so `npm install` leaves them out and `npm ci` then refuses the lock ("Missing: … from lock
// file"). This adds the missing entries from what the parent package declares: optional, for another platform,
// never downloaded here. Run after changing dependencies: `npm run lock:complete` (`--check` only reports).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const checkOnly = process.argv.includes('--check');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lockPath = join(root, 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

/** os/cpu/libc of a platform package, from the conventions in its name (e.g. core-linux-arm-gnueabihf). */
function platformOf(name) {
  const tail = name.split('/').pop();
  const os = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix'].find((o) =>
    tail.includes(`-${o}`),
  );
  const cpu = ['arm64', 'x64', 'ia32', 'armv7', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64'].find((c) =>
    tail.includes(`-${c}`),
  );
  const libc = tail.includes('musl') ? 'musl' : tail.includes('gnu') ? 'glibc' : undefined;
  return { os, cpu: cpu === 'armv7' ? 'arm' : cpu, libc };
}

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const { os, cpu, libc } = platformOf(name);
    if (!os && !cpu) continue; // not a platform build: leave it to npm
    if (checkOnly) {
      console.error(
        `missing from package-lock.json: ${name}@${version} (optional dependency of ${path || 'the root'})`,
      );
      added += 1;
      continue;
    }
    packages[hoisted] = {
      version: String(version).replace(/^[\^~=]/, ''),
      cpu: cpu ? [cpu] : undefined,
      license: entry.license,
      optional: true,
      os: os ? [os] : undefined,
      libc: libc ? [libc] : undefined,
      engines: entry.engines,
    };
    added += 1;
  }
}
if (checkOnly) process.exit(added ? 1 : 0);
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  added
    ? `package-lock.json: added ${added} platform entries the registry does not describe`
    : 'package-lock.json is complete',
);
