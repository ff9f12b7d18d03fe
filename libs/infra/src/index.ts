/**
 * Real local infrastructure without Docker: an embedded PostgreSQL and a single-node Kafka (KRaft) per
 * profile. Shared by `npm start`, the test harness (libs/testing) and `npm run infra:*` (tools/infra/cli.ts).
 */
export {
  type InfraProfile,
  type ProfileName,
  infraProfile,
  portOffset,
  profilePaths,
  repoRoot,
  unionfedHome,
} from './profile';
export {
  type InfraOptions,
  type RunningInfra,
  infraStatus,
  startInfra,
  startKafka,
  stopInfra,
  stopKafka,
} from './infra';
export { adminUrlFor, databaseUrlFor, ensureDatabases, runningPostgres, waitForPostgres } from './postgres';
export {
  JAVA_MAVEN_NEEDED,
  kafkaBrokersFor,
  kafkaVersion,
  resolveKafkaJars,
  runningKafka,
  waitForKafka,
} from './kafka';
