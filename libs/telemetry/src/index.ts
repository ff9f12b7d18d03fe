// The OpenTelemetry API side only (no SDK): what the libs and apps use to start spans and carry trace context.
// The SDK is started per process by `startTracing` from '@unionfed/telemetry/sdk' (sdk.ts).
export * from './trace';
export * from './http';
