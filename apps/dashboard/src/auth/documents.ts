import { graphql } from '../gql';

export const SignInDocument = graphql(`
  mutation SignIn($username: String!, $password: String!) {
    login(username: $username, password: $password) {
      accessToken
      accessTokenExpiresAt
      refreshToken
      mustChangePassword
    }
  }
`);

export const SignOutDocument = graphql(`
  mutation SignOut($refreshToken: String!) {
    logout(refreshToken: $refreshToken)
  }
`);

export const ChangePasswordDocument = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`);

export const ViewerDocument = graphql(`
  query Viewer {
    me {
      kind
      id
      name
      mustChangePassword
      grants {
        role
        branchId
      }
    }
    branches {
      id
      code
      name
      status
    }
  }
`);
