import { graphql } from '../gql';

export const AccountsDocument = graphql(`
  query Accounts($after: ID) {
    accounts(first: 50, after: $after) {
      id
      username
      displayName
      status
      mustChangePassword
      lastLoginAt
      grants {
        role
        branchId
      }
    }
  }
`);

export const CreateAccountDocument = graphql(`
  mutation CreateAccount($input: CreateAccountInput!) {
    createAccount(input: $input) {
      account {
        id
        username
      }
      oneTimePassword
    }
  }
`);

export const GrantRoleDocument = graphql(`
  mutation GrantRole($accountId: ID!, $grant: GrantInput!) {
    grantRole(accountId: $accountId, grant: $grant) {
      id
    }
  }
`);

export const RevokeRoleDocument = graphql(`
  mutation RevokeRole($accountId: ID!, $grant: GrantInput!) {
    revokeRole(accountId: $accountId, grant: $grant) {
      id
    }
  }
`);

export const ApiKeysDocument = graphql(`
  query ApiKeys {
    apiKeys {
      id
      prefix
      label
      scopes
      expiresAt
      revokedAt
      lastUsedAt
      createdAt
    }
  }
`);

export const CreateApiKeyDocument = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      apiKey {
        id
      }
      secret
    }
  }
`);

export const RevokeApiKeyDocument = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
    }
  }
`);

export const AuditLogDocument = graphql(`
  query AuditLog($filter: AuditFilter, $before: ID) {
    auditLog(filter: $filter, first: 50, before: $before) {
      id
      at
      action
      outcome
      actorName
      address
      entity
      entityId
      branchId
      details
    }
  }
`);

export const DeadLettersDocument = graphql(`
  query DeadLetters {
    gatewayDeadLetters(first: 20) {
      ...DeadLetterFields
    }
    financeDeadLetters(first: 20) {
      ...DeadLetterFields
    }
    congressDeadLetters(first: 20) {
      ...DeadLetterFields
    }
    activitiesDeadLetters(first: 20) {
      ...DeadLetterFields
    }
    welfareDeadLetters(first: 20) {
      ...DeadLetterFields
    }
  }

  fragment DeadLetterFields on DeadLetter {
    id
    consumer
    eventType
    topic
    partition
    offset
    reason
    error
    attempts
    deadAt
  }
`);

export const ReplayDeadLettersDocument = graphql(`
  mutation ReplayDeadLetters {
    gateway: replayGatewayDeadLetters(all: true) {
      replayed
    }
    finance: replayFinanceDeadLetters(all: true) {
      replayed
    }
    congress: replayCongressDeadLetters(all: true) {
      replayed
    }
    activities: replayActivitiesDeadLetters(all: true) {
      replayed
    }
    welfare: replayWelfareDeadLetters(all: true) {
      replayed
    }
  }
`);
