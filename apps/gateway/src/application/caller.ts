import type { Principal } from '@unionfed/auth';

/** Where a request comes from, for throttling and the audit log. */
export interface Caller {
  principal: Principal;
  address: string;
}

/** Who did something, for the audit log. */
export const performedBy = (actor: Caller) => ({
  actorId: actor.principal.subject,
  actorName: actor.principal.name,
  address: actor.address,
});
