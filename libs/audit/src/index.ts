export * from './audit.migration';
export * from './audit-trail';
export * from './audit-query';
export * from './audit-connection';
export * from './audit-switch';
export * from './acting';
export * from './redact';
export * from './audit-log.resolver';
