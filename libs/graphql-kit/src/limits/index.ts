export * from './limit-errors';
export * from './operation-measure';
export * from './operation-limits';
export * from './http-limits';
export * from './subgraph-limits';
export * from './deadline';
