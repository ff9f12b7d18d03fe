import { SERVICES, type ServiceName } from './topology';

export interface ServiceConfig {
  name: ServiceName;
  port: number;
  host: string;
  databaseUrl: string;
}

/** A service's settings from its environment, with the topology's defaults. */
export function serviceConfig(name: ServiceName, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl && SERVICES[name].database) {
    throw new Error(`DATABASE_URL is not set for ${name} (npm start sets it; see README)`);
  }
  return {
    name,
    port: Number(env.PORT ?? SERVICES[name].port),
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: databaseUrl ?? '',
  };
}
