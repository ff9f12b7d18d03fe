import { graphql } from '../../gql';

export const MemberDocument = graphql(`
  query Member($id: ID!) {
    member(id: $id) {
      id
      memberNumber
      staffNumber
      name
      gender
      birthDate
      phone
      email
      category
      title
      joinedOn
      status
      branch {
        id
        name
      }
      group {
        id
        name
      }
      history {
        change
        branchId
        effectiveOn
        recordedAt
      }
    }
  }
`);

export const AdmitMemberDocument = graphql(`
  mutation AdmitMember($input: AdmitMemberInput!) {
    admitMember(input: $input) {
      id
    }
  }
`);

export const CorrectMemberProfileDocument = graphql(`
  mutation CorrectMemberProfile($input: CorrectMemberProfileInput!) {
    correctMemberProfile(input: $input) {
      id
    }
  }
`);

export const RequestMemberTransferDocument = graphql(`
  mutation RequestMemberTransfer($input: RequestMemberTransferInput!) {
    requestMemberTransfer(input: $input) {
      id
      status
    }
  }
`);

export const RetireMemberDocument = graphql(`
  mutation RetireMember($input: MemberStatusChangeInput!) {
    retireMember(input: $input) {
      id
    }
  }
`);

export const WithdrawMemberDocument = graphql(`
  mutation WithdrawMember($input: MemberStatusChangeInput!) {
    withdrawMember(input: $input) {
      id
    }
  }
`);

export const RecordMemberDeathDocument = graphql(`
  mutation RecordMemberDeath($input: MemberStatusChangeInput!) {
    recordMemberDeath(input: $input) {
      id
    }
  }
`);
