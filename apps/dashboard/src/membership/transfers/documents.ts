import { graphql } from '../../gql';

export const TransfersDocument = graphql(`
  query Transfers($direction: TransferDirection!, $branchId: ID) {
    memberTransfers(direction: $direction, status: PENDING, branchId: $branchId, first: 50) {
      totalCount
      edges {
        node {
          id
          status
          memberId
          candidate {
            name
            staffNumber
            category
          }
          fromBranch {
            id
            name
          }
          toBranch {
            id
            name
          }
          effectiveOn
          reason
          requestedAt
        }
      }
    }
  }
`);

export const AcceptTransferDocument = graphql(`
  mutation AcceptTransfer($input: DecideMemberTransferInput!) {
    acceptMemberTransfer(input: $input) {
      id
      status
    }
  }
`);

export const DeclineTransferDocument = graphql(`
  mutation DeclineTransfer($input: DecideMemberTransferInput!) {
    declineMemberTransfer(input: $input) {
      id
      status
    }
  }
`);

export const CancelTransferDocument = graphql(`
  mutation CancelTransfer($input: DecideMemberTransferInput!) {
    cancelMemberTransfer(input: $input) {
      id
      status
    }
  }
`);
