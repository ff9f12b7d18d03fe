import { join } from 'node:path';

export * from './roles';
export * from './principal';
export * from './reach';
export * from './enforce';
export * from './tokens';
export * from './token-cache';
export * from './context';
export * from './auth-switch';
export * from './nest';

/** The @access directive (SDL), included in every subgraph's schema. */
export const ACCESS_SCHEMA_PATH = join(__dirname, 'access.graphql');
