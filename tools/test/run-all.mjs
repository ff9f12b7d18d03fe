// `npm test`: the whole check, in order — build (the e2e tests run the services from dist/), typecheck, lint,
// unit tests, then integration and e2e tests in ONE jest run (so the real PostgreSQL and Kafka of the 'test'
// profile are started once). Every step runs even when an earlier one fails, so the report is complete; the exit
// code is 1 if anything failed. The very last line is always `tests: N passed, M failed`.
//
// Run a subset by naming steps: `npm test -- unit`, `npm test -- lint typecheck`, `npm test -- --only=integration,e2e`.
// Steps: build, typecheck, lint, unit, integration, e2e (e2e brings build along: it needs a fresh dist/, and the
// dashboard's build — dist/dashboard, which its browser tests load from the gateway; skipped when unchanged).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const MINUTE = 60_000;
const STEP_NAMES = ['build', 'typecheck', 'lint', 'unit', 'integration', 'e2e'];

// ---- which steps ---------------------------------------------------------------------------------------------

function usage(message) {
  console.error(
    `${message}\nusage: npm test [-- <step>...]   steps: ${STEP_NAMES.join(', ')} (default: all)`,
  );
  process.exit(2);
}

const requested = new Set();
for (const arg of process.argv.slice(2)) {
  if (arg === '--help' || arg === '-h') usage('Runs build, typecheck, lint and the jest projects.');
  for (const name of arg
    .replace(/^--only=/, '')
    .split(',')
    .filter(Boolean)) {
    if (!STEP_NAMES.includes(name)) usage(`unknown step "${name}"`);
    requested.add(name);
  }
}
const all = requested.size === 0;
const wants = (name) => all || requested.has(name);
if (wants('e2e') && !requested.has('build') && !all) {
  console.log('(e2e runs the services from dist/: adding the build step)');
  requested.add('build');
}

const work = mkdtempSync(join(tmpdir(), 'unionfed-test-'));
const slowProjects = ['integration', 'e2e'].filter(wants);

/** @type {{ name: string, command: string, args: string[], timeoutMs: number, jestJson?: string, env?: Record<string, string> }[]} */
const steps = [];
if (wants('build'))
  steps.push({
    name: 'build',
    command: process.execPath,
    args: ['tools/build/build.mjs'],
    timeoutMs: 5 * MINUTE,
  });
if (wants('e2e'))
  steps.push({
    name: 'dashboard',
    command: process.execPath,
    args: ['tools/build/dashboard.mjs'],
    timeoutMs: 5 * MINUTE,
  });
if (wants('typecheck'))
  steps.push({
    name: 'typecheck',
    // the workspace, then the dashboard (its typed documents generated first: a schema change that breaks one fails)
    command: 'npm',
    args: ['run', '-s', 'typecheck'],
    timeoutMs: 10 * MINUTE,
  });
if (wants('lint'))
  steps.push({
    name: 'lint',
    // `npm run lint` computes Nx's project graph first: without it the module-boundary rule is skipped silently
    command: 'npm',
    args: ['run', '-s', 'lint'],
    timeoutMs: 10 * MINUTE,
  });
if (wants('unit')) {
  const jestJson = join(work, 'unit.json');
  steps.push({
    name: 'unit',
    command: bin('jest'),
    args: ['--selectProjects', 'unit', '--ci', '--maxWorkers=2', '--json', `--outputFile=${jestJson}`],
    // the services' young generation (libs/platform NODE_FLAGS): tests that measure memory see what they would
    env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, '--max-semi-space-size=2'].filter(Boolean).join(' ') },
    timeoutMs: 10 * MINUTE,
    jestJson,
  });
}
if (slowProjects.length > 0) {
  const jestJson = join(work, 'slow.json');
  steps.push({
    name: slowProjects.join('+'),
    command: bin('jest'),
    args: ['--selectProjects', ...slowProjects, '--ci', '--runInBand', '--json', `--outputFile=${jestJson}`],
    timeoutMs: 25 * MINUTE,
    jestJson,
  });
}

// ---- running ---------------------------------------------------------------------------------------------------

let current = null; // the running child, to pass on SIGTERM / SIGINT
let interrupted = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = signal;
    // Ctrl-C already reached the child through the terminal's process group; a SIGTERM sent to us did not
    if (current && signal === 'SIGTERM') current.kill(signal);
  });
}

/** Runs one command with the terminal's stdio; resolves with its exit code (or a description of how it died). */
function run(step) {
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NX_DAEMON: 'false', ...step.env },
    });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n!! ${step.name}: still running after ${step.timeoutMs / MINUTE} min, stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, step.timeoutMs);
    const done = (code, detail) => {
      clearTimeout(timer);
      current = null;
      resolve({ code, detail: timedOut ? `timed out after ${step.timeoutMs / MINUTE} min` : detail });
    };
    child.on('error', (error) => done(1, `could not start: ${error.message}`));
    child.on('exit', (code, signal) =>
      done(code ?? 1, signal ? `killed by ${signal}` : code ? `exit code ${code}` : ''),
    );
  });
}

const results = [];
for (const step of steps) {
  if (interrupted) {
    results.push({ step, ok: false, notRun: true, seconds: 0, detail: `not run (${interrupted})` });
    continue;
  }
  const shown = [
    step.command === process.execPath ? 'node' : step.command.replace(`${root}/node_modules/.bin/`, ''),
    ...step.args,
  ];
  console.log(`\n==> ${step.name}: ${shown.join(' ')}\n`);
  const started = performance.now();
  const { code, detail } = await run(step);
  results.push({ step, ok: code === 0, seconds: (performance.now() - started) / 1000, detail });
}

// ---- report ----------------------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
const notes = [];
for (const result of results) {
  const { step } = result;
  if (result.notRun) continue; // interrupted before it started: the exit code says so
  if (!step.jestJson) {
    if (!result.ok) {
      failed += 1;
      notes.push(`${step.name} failed${result.detail ? ` (${result.detail})` : ''}: counted as 1 failed`);
    }
    continue;
  }
  if (!existsSync(step.jestJson)) {
    failed += 1;
    notes.push(`${step.name}: jest wrote no results (${result.detail || 'crashed'}): counted as 1 failed`);
    continue;
  }
  let report;
  try {
    report = JSON.parse(readFileSync(step.jestJson, 'utf8'));
  } catch (error) {
    failed += 1;
    notes.push(`${step.name}: unreadable jest results (${error.message}): counted as 1 failed`);
    continue;
  }
  const stepFailed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  passed += report.numPassedTests ?? 0;
  failed += stepFailed;
  result.counts = `${report.numPassedTests ?? 0} passed, ${stepFailed} failed`;
  if (report.numRuntimeErrorTestSuites)
    notes.push(`${step.name}: ${report.numRuntimeErrorTestSuites} test suite(s) could not run`);
  if (!result.ok && stepFailed === 0) {
    // e.g. the global setup failed, no tests matched, or jest was killed after the tests
    failed += 1;
    notes.push(`${step.name}: jest failed (${result.detail}) although no test failed: counted as 1 failed`);
  }
}
rmSync(work, { recursive: true, force: true });

const rows = [
  ['step', 'result', 'seconds', 'tests'],
  ...results.map((r) => [
    r.step.name,
    r.ok ? 'passed' : r.notRun ? 'not run' : 'FAILED',
    r.seconds.toFixed(1),
    r.counts ?? '',
  ]),
];
const total = results.reduce((sum, r) => sum + r.seconds, 0);
rows.push(['total', results.every((r) => r.ok) ? 'passed' : 'FAILED', total.toFixed(1), '']);
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
const line = (row) =>
  row
    .map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
    .join('  ')
    .trimEnd();
console.log('\n==> summary\n');
for (const [i, row] of rows.entries()) {
  console.log(line(row));
  if (i === 0 || i === rows.length - 2) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
if (notes.length > 0) console.log(`\n${notes.map((note) => `- ${note}`).join('\n')}`);
console.log(`tests: ${passed} passed, ${failed} failed`);

process.exitCode = interrupted
  ? interrupted === 'SIGINT'
    ? 130
    : 143
  : results.every((r) => r.ok) && failed === 0
    ? 0
    : 1;
