import { requestLoader } from '@unionfed/graphql-kit';
import type { Branch } from '../domain/structure';
import type { RecordedHeadcount } from '../infrastructure/headcount.repository';
import type { HeadcountRepository } from '../infrastructure/headcount.repository';
import type { MembershipRepository } from '../infrastructure/membership.repository';

// Per-request loaders of what a list of branches or members asks for row by row (libs/graphql-kit's
// RequestLoader): one query per request for all the rows asked, instead of one per row.

/** Branches by id (e.g. `branch` of every member on a roster page). */
export function branchLoader(context: object, repository: MembershipRepository) {
  return requestLoader<string, Branch>(
    context,
    'branch',
    async (ids) => new Map((await repository.findBranches(ids)).map((b) => [b.id, b])),
  );
}

/** Active members by branch id (`activeMembers` and the join rates of every branch listed); 0 for none. */
export function activeMembersLoader(context: object, repository: MembershipRepository) {
  return requestLoader<string, number>(context, 'activeMembers', async (ids) => {
    const counts = await repository.activeMembersByBranch(ids);
    return new Map(ids.map((id) => [id, counts.get(id) ?? 0]));
  });
}

/** Every year's staff headcount by branch id (`staffHeadcounts`, `staffHeadcount(year:)`). */
export function headcountsLoader(context: object, headcounts: HeadcountRepository) {
  return requestLoader<string, RecordedHeadcount[]>(context, 'headcounts', (ids) =>
    headcounts.ofBranches(ids),
  );
}
