import { graphql } from '../../gql';

export const OverviewDocument = graphql(`
  query Overview($branchId: ID, $birthMonth: Int!) {
    membershipStatistics(branchId: $branchId) {
      scope
      staffHeadcount
      activeMembers
      retirees
      joinRateDetail {
        percent
        members
        staffHeadcount
        exceedsHeadcount
      }
      byGender {
        key
        count
      }
      byCategory {
        key
        count
      }
      byAgeBand {
        key
        count
      }
    }
    birthdaysThisMonth: members(
      filter: { branchId: $branchId, status: ACTIVE, birthMonth: $birthMonth }
      first: 1
    ) {
      totalCount
    }
    upcomingBirthdays(days: 30, branchId: $branchId) {
      date
      turning
      member {
        id
        name
        branch {
          name
        }
      }
    }
  }
`);

export const BranchComparisonDocument = graphql(`
  query BranchComparison {
    branches {
      id
      name
      status
      activeMembers
      joinRateDetail {
        percent
        exceedsHeadcount
      }
    }
  }
`);
