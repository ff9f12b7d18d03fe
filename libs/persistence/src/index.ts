export * from './uuidv7';
export * from './data-source';
export * from './copy';
export * from './pg-errors';
export * from './unit-of-work';
export * from './prepared';
