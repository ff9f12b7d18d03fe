import type { Authentication } from './context';
import type { Principal } from './principal';

/**
 * `UNIONFED_AUTH=off` switches authentication off in a service — for benchmarks and local diagnosis only
 * (tools/bench/gateway-auth.ts measures what authentication costs with it). Refused when NODE_ENV=production.
 * Unset or `on`: authentication as always.
 */
export const AUTH_SWITCH_VARIABLE = 'UNIONFED_AUTH';

/**
 * Who every request is with authentication switched off: an HQ admin (ADMIN for the whole federation). The
 * subject is the nil UUID, an id no account has.
 */
export const AUTH_OFF_PRINCIPAL: Principal = Object.freeze({
  kind: 'user',
  subject: '00000000-0000-0000-0000-000000000000',
  name: 'UNIONFED_AUTH=off',
  grants: Object.freeze([Object.freeze({ role: 'ADMIN', branchId: null })]),
  scopes: Object.freeze([]),
});

/** The authentication of every request with authentication switched off. */
export const AUTH_OFF: Authentication = Object.freeze({ principal: AUTH_OFF_PRINCIPAL });

/**
 * Whether authentication is switched off in this process (`UNIONFED_AUTH=off`). Each service asks once, at
 * start-up (the gateway's authenticator, every subgraph's module):
 * - off under NODE_ENV=production → throws: a production service refuses to start;
 * - off elsewhere → `warn` gets a loud line, and the caller then verifies nothing: the gateway takes no token or
 *   API key, subgraphs give every request `AUTH_OFF` (an HQ admin) — @access policies are still enforced, and
 *   pass for that principal;
 * - any other value than on/off → throws (a typo must not leave anyone guessing which mode runs).
 */
export function authenticationSwitchedOff(
  service: string,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const value = env[AUTH_SWITCH_VARIABLE]?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'on') return false;
  if (value !== 'off') {
    throw new Error(`${AUTH_SWITCH_VARIABLE} must be 'on' or 'off', got '${env[AUTH_SWITCH_VARIABLE]}'`);
  }
  if (env.NODE_ENV === 'production') {
    throw new Error(
      `${AUTH_SWITCH_VARIABLE}=off is refused in production (NODE_ENV=production): ${service} will not start ` +
        `without authentication. Unset ${AUTH_SWITCH_VARIABLE} (it exists for benchmarks only).`,
    );
  }
  warn(
    `!!! AUTHENTICATION IS SWITCHED OFF (${AUTH_SWITCH_VARIABLE}=off): ${service} verifies no token or API key; ` +
      `every request acts as an HQ admin. For benchmarks only — never expose this process. !!!`,
  );
  return true;
}
