export * from './errors';
export * from './subgraph';
export * from './pagination';
export * from './preloaded';
export * from './inputs';
export * from './mutation-outcome';
export * from './limits';
export * from './gateway-signature';
