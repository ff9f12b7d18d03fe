import { ForbiddenError } from '@unionfed/domain-kit';
import type { Principal } from './principal';
import type { Role } from './roles';

export type AccessScope = 'PUBLIC' | 'AUTHENTICATED' | 'BRANCH' | 'FEDERATION';

/** A field's @access directive. */
export interface AccessPolicy {
  roles: readonly Role[];
  scope: AccessScope;
  integration: boolean;
}

export type AccessDecision =
  { allowed: true; reach: Reach } | { allowed: false; code: 'UNAUTHENTICATED' | 'FORBIDDEN'; reason: string };

/**
 * How far an allowed caller reaches for one field: everything (HQ grants, integrations, public fields), a set of
 * branches (branch-scoped grants), and/or their own member record (MEMBER). Resolvers narrow their SQL with it —
 * scoping happens in the query, not by filtering results.
 */
export class Reach {
  static readonly EVERYTHING = new Reach(true, new Set(), undefined);
  static readonly NOTHING = new Reach(false, new Set(), undefined);

  private constructor(
    readonly all: boolean,
    readonly branchIds: ReadonlySet<string>,
    /** MEMBER self-service: the one member record reached */
    readonly ownMemberId: string | undefined,
    /** audits what `visible…` hides (see `auditing`) */
    private readonly onHidden?: (branchId: string | null) => void,
  ) {}

  /** The same reach, auditing every record that `visibleMember`/`visibleInBranch` hide (reachOf hands one out). */
  auditing(onHidden: (branchId: string | null) => void): Reach {
    return this.all ? this : new Reach(false, this.branchIds, this.ownMemberId, onHidden);
  }

  /**
   * A member record as the caller may know of it: the record when within reach, else undefined — "out of your
   * reach" reads like "not there" — with the attempt audited. `self: false` for changes, which a member's own
   * reach (MEMBER self-service) does not cover.
   */
  visibleMember<T extends { id: string; branchId: string }>(
    member: T | undefined,
    { self = true }: { self?: boolean } = {},
  ): T | undefined {
    if (!member) return undefined;
    if (self ? this.includesMember(member.id, member.branchId) : this.includesBranch(member.branchId))
      return member;
    this.onHidden?.(member.branchId);
    return undefined;
  }

  /** A record of a branch (or of the federation: branchId null) as the caller may know of it; see visibleMember. */
  visibleInBranch<T extends { branchId?: string | null }>(record: T | undefined): T | undefined {
    if (!record) return undefined;
    if (this.includesBranch(record.branchId)) return record;
    this.onHidden?.(record.branchId ?? null);
    return undefined;
  }

  static of(branchIds: Iterable<string>, ownMemberId?: string): Reach {
    return new Reach(false, new Set(branchIds), ownMemberId);
  }

  includesBranch(branchId: string | null | undefined): boolean {
    return this.all || (branchId != null && this.branchIds.has(branchId));
  }

  /** whether a member record (of the given branch) is reached — through its branch or as the caller's own */
  includesMember(memberId: string, branchId: string | null | undefined): boolean {
    return this.includesBranch(branchId) || this.ownMemberId === memberId;
  }

  /**
   * Refuses (FORBIDDEN) unless the branch is reached. The refusal names nothing of what was refused (no id): the
   * caller named the branch, and branches are known to everyone signed in.
   */
  assertBranch(branchId: string | null | undefined): void {
    if (!this.includesBranch(branchId)) {
      throw new ForbiddenError('You may not see or change data of this branch union', 'OUT_OF_SCOPE');
    }
  }

  /** Refuses unless the whole federation is reached (HQ-only operations). */
  assertFederation(): void {
    if (!this.all) {
      throw new ForbiddenError('Only federation-wide (HQ) roles may do this', 'FEDERATION_ONLY');
    }
  }

  /**
   * A SQL condition restricting rows to the reach, for a branch id column (and optionally the member id column
   * for self-service). Parameters are appended to `params`; returns 'TRUE' for everything, 'FALSE' for nothing.
   */
  sqlCondition(branchColumn: string, params: unknown[], memberColumn?: string): string {
    if (this.all) return 'TRUE';
    const parts: string[] = [];
    if (this.branchIds.size > 0) {
      params.push([...this.branchIds]);
      parts.push(`${branchColumn} = ANY($${params.length}::uuid[])`);
    }
    if (this.ownMemberId && memberColumn) {
      params.push(this.ownMemberId);
      parts.push(`${memberColumn} = $${params.length}::uuid`);
    }
    return parts.length ? `(${parts.join(' OR ')})` : 'FALSE';
  }
}

/**
 * Decides whether a principal may use a field with this policy, and how far it reaches. Anonymous callers get
 * UNAUTHENTICATED for anything but PUBLIC; signed-in callers without a fitting grant get FORBIDDEN.
 */
export function decide(principal: Principal, policy: AccessPolicy): AccessDecision {
  if (policy.scope === 'PUBLIC') return { allowed: true, reach: Reach.EVERYTHING };
  if (principal.kind === 'anonymous') {
    return { allowed: false, code: 'UNAUTHENTICATED', reason: 'Sign in first' };
  }
  if (policy.scope === 'AUTHENTICATED') return { allowed: true, reach: Reach.EVERYTHING };
  if (principal.kind === 'integration') {
    return policy.integration
      ? { allowed: true, reach: Reach.EVERYTHING }
      : { allowed: false, code: 'FORBIDDEN', reason: 'API keys may not use this field' };
  }
  const grants = principal.grants.filter((grant) => policy.roles.includes(grant.role));
  if (grants.some((grant) => grant.role !== 'MEMBER' && grant.branchId === null)) {
    return { allowed: true, reach: Reach.EVERYTHING };
  }
  if (policy.scope === 'FEDERATION') {
    return {
      allowed: false,
      code: 'FORBIDDEN',
      reason: 'Only federation-wide (HQ) roles may use this field',
    };
  }
  const branchIds = grants.filter((g) => g.role !== 'MEMBER' && g.branchId).map((g) => g.branchId as string);
  const self = grants.some((grant) => grant.role === 'MEMBER') ? principal.memberId : undefined;
  if (branchIds.length === 0 && !self) {
    return { allowed: false, code: 'FORBIDDEN', reason: 'None of your roles may use this field' };
  }
  return { allowed: true, reach: Reach.of(branchIds, self) };
}
