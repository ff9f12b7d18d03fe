import { graphql } from '../../gql';

export const RosterImportDocument = graphql(`
  query RosterImport($id: ID!) {
    rosterImport(id: $id) {
      id
      mode
      status
      phase
      totalRows
      processed
      created
      updated
      unchanged
      invalid
      errorCount
      failure {
        code
        message
        messageEn
      }
      errors(first: 100) {
        totalCount
        edges {
          node {
            row
            column
            code
            message
            messageEn
            staffNumber
          }
        }
      }
    }
  }
`);
