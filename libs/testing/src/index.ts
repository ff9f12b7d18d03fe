export * from './environment';
export * from './eventually';
export * from './kafka';
export * from './auth';
export * from './service-database';
export * from './subgraph';
export * from './tracing';
