export * from './uuidv7';
export * from './data-source';
export * from './copy';
