import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { ACCESS_SCHEMA_PATH } from '@unionfed/auth';
import { AUDIT_SCHEMA_PATH } from './audit-connection';
import { auditLogFieldProblem, auditLogSdl } from './audit-log.resolver';

/** A subgraph's schema with the shared SDL and the given Query fields (federation's directives assumed). */
const schemaWith = (fields: string) =>
  buildSchema(
    [
      readFileSync(ACCESS_SCHEMA_PATH, 'utf8').replace(/extend schema[^"]*?(?=""")/s, ''),
      readFileSync(AUDIT_SCHEMA_PATH, 'utf8'),
      `type Query { ${fields} }`,
    ].join('\n'),
    { assumeValidSDL: true },
  );

describe('the audit field every service declares', () => {
  it('takes the declared line as it is', () => {
    expect(auditLogFieldProblem(schemaWith(auditLogSdl('finance')), 'finance')).toBeUndefined();
  });

  it('refuses a service without it, with another policy, or with other arguments — saying what to declare', () => {
    expect(auditLogFieldProblem(schemaWith('ping: String'), 'finance')).toMatch(
      /no Query.financeAuditLog: declare on type Query: financeAuditLog\(filter: AuditEntryFilter/,
    );
    const wider = auditLogSdl('finance').replace(
      '[ADMIN, FINANCE_AUDITOR]',
      '[ADMIN, FINANCE_AUDITOR, VIEWER]',
    );
    expect(auditLogFieldProblem(schemaWith(wider), 'finance')).toMatch(/another policy/);
    const keys = auditLogSdl('finance').replace('FINANCE_AUDITOR])', 'FINANCE_AUDITOR], integration: true)');
    expect(auditLogFieldProblem(schemaWith(keys), 'finance')).toMatch(/another policy/);
    const unguarded =
      'financeAuditLog(filter: AuditEntryFilter, first: Int, after: String): AuditEntryConnection!';
    expect(auditLogFieldProblem(schemaWith(unguarded), 'finance')).toMatch(/another policy/);
    const paged = auditLogSdl('finance').replace('after: String', 'before: String');
    expect(auditLogFieldProblem(schemaWith(paged), 'finance')).toMatch(/is not the audit trail's field/);
  });
});
