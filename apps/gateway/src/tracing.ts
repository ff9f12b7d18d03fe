import { startTracing } from '@unionfed/telemetry/sdk';

// OpenTelemetry before anything else is loaded (main.ts imports this first): pg is instrumented as it loads
startTracing('gateway');
