/**
 * `UNIONFED_AUDIT=off` stops a service writing audit rows — for tools/bench/audit-overhead.ts only, which measures
 * what the audit trail costs. Refused under NODE_ENV=production (the service will not start), as UNIONFED_AUTH=off
 * is (libs/auth/src/auth-switch.ts). Unset or `on`: every change is audited.
 */
export const AUDIT_SWITCH_VARIABLE = 'UNIONFED_AUDIT';

export function auditSwitchedOff(
  service: string,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const value = env[AUDIT_SWITCH_VARIABLE]?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'on') return false;
  if (value !== 'off') {
    throw new Error(`${AUDIT_SWITCH_VARIABLE} must be 'on' or 'off', got '${env[AUDIT_SWITCH_VARIABLE]}'`);
  }
  if (env.NODE_ENV === 'production') {
    throw new Error(
      `${AUDIT_SWITCH_VARIABLE}=off is refused in production (NODE_ENV=production): ${service} will not start ` +
        `without its audit trail. Unset ${AUDIT_SWITCH_VARIABLE} (it exists for benchmarks only).`,
    );
  }
  warn(
    `!!! THE AUDIT TRAIL IS SWITCHED OFF (${AUDIT_SWITCH_VARIABLE}=off): ${service} records no change. ` +
      `For benchmarks only. !!!`,
  );
  return true;
}
