export * from './launcher';
export * from './graphql-client';
export * from './demo-federation';
export * from './test-platform';
