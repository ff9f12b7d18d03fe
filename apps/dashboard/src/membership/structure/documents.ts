import { graphql } from '../../gql';

export const StructureDocument = graphql(`
  query Structure {
    campuses {
      id
      code
      name
    }
    branches {
      id
      code
      name
      kind
      status
      closedOn
      campus {
        id
        name
      }
      staffHeadcount
      activeMembers
      joinRateDetail {
        percent
        exceedsHeadcount
      }
      mergedInto {
        name
      }
    }
  }
`);

export const BranchStructureDocument = graphql(`
  query BranchStructure($branchId: ID!) {
    branch(id: $branchId) {
      id
      name
      unionGroups {
        id
        name
        status
        formedOn
        memberCount
        leader {
          id
          name
        }
      }
      committee {
        id
        role
        memberName
        memberNumber
        startsOn
        endsOn
      }
    }
  }
`);

export const SetStaffHeadcountDocument = graphql(`
  mutation SetStaffHeadcount($input: SetBranchStaffHeadcountInput!) {
    setBranchStaffHeadcount(input: $input) {
      id
      staffHeadcount
    }
  }
`);

export const MergeBranchesDocument = graphql(`
  mutation MergeBranches($input: MergeBranchesInput!) {
    mergeBranches(input: $input) {
      movedMembers
    }
  }
`);

export const DissolveBranchDocument = graphql(`
  mutation DissolveBranch($input: DissolveBranchInput!) {
    dissolveBranch(input: $input) {
      id
      status
    }
  }
`);
