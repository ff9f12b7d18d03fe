// The integration-event contracts in proto/: linted with buf, the checked-in TypeScript in libs/contracts kept in
// step with them, and no breaking change against main (consumers of older events must keep working).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const BUF = join(ROOT, 'node_modules', '.bin', 'buf');
const TIMEOUT_MS = 60_000;

interface Run {
  status: number | null;
  output: string;
}

function run(command: string, args: string[]): Run {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_MS });
  const output = [
    `$ ${[command === BUF ? 'buf' : command, ...args].join(' ')}`,
    result.stdout,
    result.stderr,
    result.error ? String(result.error) : '',
    result.signal ? `killed by ${result.signal} (timeout ${TIMEOUT_MS / 1000} s?)` : '',
  ]
    .filter((part) => part && part.trim())
    .join('\n');
  return { status: result.status, output };
}

function buf(...args: string[]): Run {
  return run(BUF, args);
}

/** Fails with the command's own output (not just "expected 0, received 100"). */
function expectSuccess(result: Run): void {
  if (result.status !== 0) throw new Error(`exit code ${result.status}\n${result.output}`);
}

/** Every file below dir, as paths relative to it (sorted). */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** The git input for `buf breaking`: the local main branch, or origin/main in a clone where main is not checked out. */
function mainBranchInput(): { input: string } | { skip: string } {
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_MS });
  const inside = git('rev-parse', '--is-inside-work-tree');
  if (inside.status !== 0) return { skip: 'not a git checkout' };
  for (const [ref, input] of [
    ['refs/heads/main', '.git#branch=main'],
    ['refs/remotes/origin/main', '.git#ref=origin/main'],
  ]) {
    if (git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`).status !== 0) continue;
    const proto = git('ls-tree', '--name-only', ref, '--', 'proto');
    if (proto.status === 0 && proto.stdout.trim()) return { input };
    return { skip: `${ref} has no proto/ yet` };
  }
  return { skip: 'no main branch (neither main nor origin/main)' };
}

describe('the protobuf contracts', () => {
  it('pass buf lint (STANDARD rules)', () => {
    expectSuccess(buf('lint'));
  });

  it('keeps the generated TypeScript in step with proto/ (run `npm run proto:generate` when this fails)', () => {
    const work = mkdtempSync(join(tmpdir(), 'unionfed-contracts-'));
    try {
      // the same template, with every plugin writing below the temp folder instead of the source tree
      const template = parse(readFileSync(join(ROOT, 'buf.gen.yaml'), 'utf8')) as {
        plugins: { out: string }[];
      };
      const outs = template.plugins.map((plugin) => plugin.out);
      for (const plugin of template.plugins) plugin.out = join(work, 'out', plugin.out);
      const templatePath = join(work, 'buf.gen.yaml');
      writeFileSync(templatePath, stringify(template));

      expectSuccess(buf('generate', '--template', templatePath));

      for (const out of new Set(outs)) {
        const generated = join(work, 'out', out);
        const checkedIn = join(ROOT, out);
        const files = filesBelow(generated);
        expect(files.length).toBeGreaterThan(0);
        expect(filesBelow(checkedIn)).toEqual(files);
        for (const file of files) {
          const actual = readFileSync(join(checkedIn, file), 'utf8');
          // toEqual on an object names the stale file in the failure message
          expect({ file, content: actual }).toEqual({
            file,
            content: readFileSync(join(generated, file), 'utf8'),
          });
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  const against = mainBranchInput();
  if ('skip' in against) console.log(`skipping buf breaking: ${against.skip}`);

  (('input' in against ? it : it.skip) as jest.It)(
    'make no breaking change against the main branch (buf breaking, FILE rules)',
    () => {
      if (!('input' in against)) return;
      expectSuccess(buf('breaking', '--against', against.input));
    },
  );
});
