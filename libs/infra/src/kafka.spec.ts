import { infraProfile } from './profile';
import {
  groupIdsCoveringOffsetPartitions,
  javaMajorVersion,
  javaStringHashCode,
  kafkaVersion,
  newClusterId,
  renderServerProperties,
} from './kafka';

const properties = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('renderServerProperties', () => {
  const p = infraProfile('test', { UNIONFED_HOME: '/var/tmp/unionfed' });
  const props = properties(renderServerProperties(p));

  it('runs one KRaft node as broker and controller on the profile ports', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['controller.quorum.bootstrap.servers']).toBe('127.0.0.1:59193');
    expect(props['listeners']).toBe('PLAINTEXT://127.0.0.1:59192,CONTROLLER://127.0.0.1:59193');
    expect(props['log.dirs']).toBe('/var/tmp/unionfed/test/kafka/data');
  });

  it('advertises only the client listener, never the controller', () => {
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:59192');
  });

  it('suits a single broker: replication factor 1, few offset partitions, no surprise topics', () => {
    expect(props['offsets.topic.replication.factor']).toBe('1');
    expect(props['transaction.state.log.replication.factor']).toBe('1');
    expect(props['offsets.topic.num.partitions']).toBe('3');
    expect(props['group.initial.rebalance.delay.ms']).toBe('0');
    expect(props['auto.create.topics.enable']).toBe('false');
  });
});

describe('kafka helpers', () => {
  it('reads the broker version pinned in the pom', () => {
    expect(kafkaVersion('<properties><kafka.version>4.1.1</kafka.version></properties>')).toBe('4.1.1');
    expect(kafkaVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('understands old and new `java -version` formats', () => {
    expect(javaMajorVersion('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajorVersion('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajorVersion('java version "1.8.0_392"')).toBe(8);
    expect(javaMajorVersion('bash: java: command not found')).toBeUndefined();
  });

  it('makes KRaft cluster ids like kafka-storage does: 22 base64url characters, not starting with a dash', () => {
    for (let i = 0; i < 200; i++) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it("hashes strings exactly like Java's String.hashCode", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  it('picks one readiness group per __consumer_offsets partition', () => {
    const groups = groupIdsCoveringOffsetPartitions(3);
    expect(groups).toHaveLength(3);
    const partitions = groups.map((g) => (javaStringHashCode(g) & 0x7fffffff) % 3);
    expect(partitions).toEqual([0, 1, 2]);
  });
});
