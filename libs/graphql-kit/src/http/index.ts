export * from './http-errors';
export * from './http-error.filter';
export * from './http-access';
export * from './http-routes-check';
