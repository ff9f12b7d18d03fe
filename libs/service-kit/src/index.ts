export * from './topology';
export * from './config';
export * from './logger';
export * from './health';
export * from './service-core.module';
export * from './bootstrap';
export * from './consumers';
