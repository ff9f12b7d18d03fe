// Typed GraphQL documents for the dashboard (graphql-codegen, client preset): every `graphql(...)` call in
// src/ is validated against the API schema of the checked-in supergraph and typed from it. A schema change that
// breaks a document fails here (and so the dashboard's build and typecheck, which run this first).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  overwrite: true,
  schema: { 'apps/gateway/supergraph.graphql': { loader: './apps/dashboard/codegen/api-schema.cjs' } },
  documents: ['apps/dashboard/src/**/*.{ts,tsx}', '!apps/dashboard/src/gql/**'],
  ignoreNoDocuments: false,
  errorsOnly: false,
  generates: {
    'apps/dashboard/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { Date: 'string', Money: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
  },
};

export default config;
