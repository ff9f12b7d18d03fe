import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** Lints source text as if it were the file at `filePath`; returns the rule ids that fired. */
function rulesFiredFor(filePath: string, code: string): string[] {
  const result = spawnSync(
    bin('eslint'),
    ['--stdin', '--stdin-filename', join(root, filePath), '--format', 'json'],
    {
      cwd: root,
      input: code,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
      timeout: 60_000,
    },
  );
  const [report] = JSON.parse(result.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return report.messages.map((m) => m.ruleId ?? m.message);
}

describe('module boundaries (what `npm run lint` enforces)', () => {
  beforeAll(() => {
    // the boundary rule reads Nx's project graph; compute it as `npm run lint` does
    execFileSync(bin('nx'), ['show', 'projects'], {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false' },
      stdio: 'ignore',
    });
  });

  it('stops a service from importing another service', () => {
    const fired = rulesFiredFor(
      'apps/finance/src/probe.ts',
      "import { MembershipModule } from '../../membership/src/membership.module';\nexport const m = MembershipModule;\n",
    );
    expect(fired).toContain('@nx/enforce-module-boundaries');
  });

  it('stops production code of a shared lib from importing the test harness', () => {
    const fired = rulesFiredFor(
      'libs/messaging/src/probe.ts',
      "import { eventually } from '@unionfed/testing';\nexport const e = eventually;\n",
    );
    expect(fired).toContain('@nx/enforce-module-boundaries');
  });

  it('lets a service use the shared libs', () => {
    const fired = rulesFiredFor(
      'apps/finance/src/probe.ts',
      "import { Outbox } from '@unionfed/messaging';\nexport const o = Outbox;\n",
    );
    expect(fired).not.toContain('@nx/enforce-module-boundaries');
  });

  it('keeps Nest and TypeORM out of the domain layer', () => {
    const fired = rulesFiredFor(
      'apps/membership/src/domain/probe.ts',
      "import { Injectable } from '@nestjs/common';\nexport const i = Injectable;\n",
    );
    expect(fired).toContain('no-restricted-imports');
  });
});
