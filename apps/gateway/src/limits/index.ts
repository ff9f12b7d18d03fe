/**
 * The gateway's limits on what callers may ask — depth, cost, aliases, tokens, batch and body size,
 * introspection, a rate per caller, and registered operations only for integrations. One entry point:
 *
 *   const limits = gatewayLimits<GatewayContext>({ identify, clientAddress });
 *   server: { ...limits.apolloOptions, plugins: [...limits.apolloOptions.plugins, ...] }   // ApolloServer
 *   main({ name: 'gateway', module: GatewayModule, configureHttp: limits.configureHttp });  // HTTP
 */
export {
  gatewayLimits,
  LIMIT_DEFAULTS,
  type GatewayLimits,
  type GatewayLimitsOptions,
} from './gateway-limits';
export type { Caller } from './limits.plugin';
export { LimitCode } from '@unionfed/graphql-kit';
export {
  PersistedOperations,
  PERSISTED_OPERATIONS_DIR,
  type PersistedOperation,
} from './persisted-operations';
export type { RateLimit } from './token-bucket';
