// Lint for the whole workspace. The Nx module-boundary rule is what keeps services apart:
// a service (scope:<service>) may depend only on shared libs, never on another service.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const services = ['membership', 'finance', 'congress', 'activities', 'welfare', 'gateway'];

/**
 * Which project may import which. Production code: a service only its own scope and shared libs (type:lib); the
 * dashboard (scope:dashboard, a browser app) nothing but itself — no service code, no lib: its GraphQL types are
 * generated from the supergraph — while its browser tests use the platform harness like the other e2e tests;
 * shared libs only other shared libs; the local-infrastructure tooling (type:tooling) and the test harness
 * (type:testing) never reach production code. Tests may also use the harness and the tooling.
 */
function boundaries({ forTests }) {
  const testOnly = forTests ? ['type:testing', 'type:tooling'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      // The test harness serves and migrates a service as the libs do it (libs/testing serveSubgraph and
      // serviceDatabase), and those libs' own integration tests use the harness: a cycle through test files only
      // (no lib's production code imports the harness — the type:testing constraint below keeps it so).
      ignoredCircularDependencies: ['graphql-kit', 'messaging', 'persistence', 'service-kit'].map((lib) => [
        'testing',
        lib,
      ]),
      depConstraints: [
        {
          sourceTag: 'scope:dashboard',
          onlyDependOnLibsWithTags: ['scope:dashboard', ...(forTests ? ['scope:shared'] : [])],
        },
        ...services.map((s) => ({
          sourceTag: `scope:${s}`,
          onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared'],
        })),
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', ...testOnly] },
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', ...testOnly] },
        { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling'] },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling', 'type:testing'] },
      ],
    },
  ];
}

export default [
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'dist.*/**',
      '.unionfed/**',
      '.nx/**',
      'libs/contracts/src/gen/**',
      'apps/dashboard/src/gql/**',
      'coverage/**',
    ],
  },
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ forTests: false }),
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  {
    files: ['**/test/**/*.ts', '**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries({ forTests: true }) },
  },
  {
    // CommonJS config files (jest.config.js)
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // the domain layer stays framework-free: its rules are tested with plain unit tests
    files: ['apps/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'typeorm', 'kafkajs', 'graphql', '@apollo/*'],
              message: 'The domain layer imports neither Nest, TypeORM, Kafka nor GraphQL.',
            },
          ],
        },
      ],
    },
  },
];
