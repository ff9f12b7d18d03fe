export * from './errors';
export * from './subgraph';
export * from './pagination';
export * from './preloaded';
export * from './inputs';
export * from './money';
export * from './mutation-outcome';
