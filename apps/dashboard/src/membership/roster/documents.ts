import { graphql } from '../../gql';

export const RosterDocument = graphql(`
  query Roster($filter: RosterFilter, $first: Int!, $after: String) {
    members(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          memberNumber
          staffNumber
          name
          gender
          category
          title
          joinedOn
          birthDate
          phone
          status
          branch {
            id
            name
          }
          group {
            id
            name
          }
        }
      }
    }
  }
`);

export const UnionGroupsDocument = graphql(`
  query RosterGroups($branchId: ID!) {
    unionGroups(branchId: $branchId) {
      id
      name
    }
  }
`);
