// Keeps docker-compose.yml and deploy/k8s in step with the topology the launcher and tests use. Nothing here
// needs Docker or a cluster: the files are parsed and their wiring checked.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import YAML from 'yaml';
import {
  DOMAIN_SERVICES,
  SERVICES,
  START_ORDER,
  subgraphUrlVariable,
} from '../../libs/service-kit/src/topology';

const ROOT = join(__dirname, '..', '..');
const K8S_DIR = join(ROOT, 'deploy', 'k8s');

// Just the parts of the documents the tests look at.
type Env = Record<string, string | number | boolean>;
interface ComposeService {
  build?: { args?: Record<string, string> };
  environment?: Env;
  ports?: Array<string | { target: number; published: number | string }>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}
interface K8sDocument {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

function readCompose(): ComposeFile {
  // merge: true resolves the `<<: *anchor` keys the file uses to share fragments, as compose does
  return YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

/** "4101:4101", "127.0.0.1:4101:4101" or the long syntax, as [published, target]. */
function portMapping(port: string | { target: number; published: number | string }): [number, number] {
  if (typeof port !== 'string') return [Number(port.published), Number(port.target)];
  const parts = port.split('/')[0].split(':');
  return [Number(parts[parts.length - 2]), Number(parts[parts.length - 1])];
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

describe('docker-compose.yml', () => {
  const compose = readCompose();
  const service = (name: string): ComposeService => {
    const found = compose.services[name];
    if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
    return found;
  };

  it('is valid YAML with a service per app of the topology', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining([...START_ORDER]));
  });

  it.each(START_ORDER)('publishes %s on the port the launcher uses', (name) => {
    const { port } = SERVICES[name];
    const mappings = (service(name).ports ?? []).map(portMapping);
    expect(mappings).toContainEqual([port, port]);
    expect(service(name).environment?.PORT).toBe(String(port));
  });

  it.each(START_ORDER)('builds %s from the shared Dockerfile with its APP', (name) => {
    expect(service(name).build?.args?.APP).toBe(name);
  });

  it.each(START_ORDER)('health-checks %s on its readiness endpoint', (name) => {
    const test = service(name).healthcheck?.test;
    expect(test).toBeDefined();
    expect([test].flat().join(' ')).toContain('/health/ready');
  });

  it.each(START_ORDER)('starts %s only once PostgreSQL and Kafka are healthy', (name) => {
    const dependsOn = service(name).depends_on ?? {};
    expect(dependsOn.postgres?.condition).toBe('service_healthy');
    expect(dependsOn.kafka?.condition).toBe('service_healthy');
  });

  it.each(START_ORDER)('starts %s only after the topics were created', (name) => {
    expect(service(name).depends_on?.['create-topics']?.condition).toBe('service_completed_successfully');
    expect(service('create-topics').depends_on?.kafka?.condition).toBe('service_healthy');
  });

  it.each(START_ORDER)('connects %s to its own database', (name) => {
    const url = new URL(String(service(name).environment?.DATABASE_URL));
    expect(url.hostname).toBe('postgres');
    expect(url.pathname).toBe(`/${SERVICES[name].database}`);
  });

  it.each(DOMAIN_SERVICES)('tells %s where the gateway publishes its token keys', (name) => {
    expect(service(name).environment?.UNIONFED_JWKS_URL).toBe('http://gateway:4000/.well-known/jwks.json');
  });

  it('points every app at the broker on the compose network', () => {
    for (const name of [...START_ORDER, 'create-topics']) {
      expect(service(name).environment?.KAFKA_BROKERS).toBe('kafka:9092');
    }
  });

  it.each(DOMAIN_SERVICES)('tells the gateway where the %s subgraph listens', (name) => {
    const gateway = service('gateway');
    expect(gateway.environment?.[subgraphUrlVariable(name)]).toBe(
      `http://${name}:${SERVICES[name].port}/graphql`,
    );
    expect(gateway.depends_on?.[name]?.condition).toBe('service_healthy');
  });

  it('creates every service database in the PostgreSQL init script', () => {
    const sql = readFileSync(join(ROOT, 'deploy', 'docker', 'postgres-init.sql'), 'utf8');
    const created = [...sql.matchAll(/^\s*CREATE DATABASE\s+"?(\w+)"?/gim)].map((m) => m[1]);
    const wanted = START_ORDER.map((name) => SERVICES[name].database);
    expect(created.sort()).toEqual([...wanted].sort());
  });
});

describe('deploy/k8s manifests', () => {
  const documents: Array<{ file: string; doc: K8sDocument }> = yamlFilesUnder(K8S_DIR).flatMap((path) => {
    const file = relative(ROOT, path);
    return YAML.parseAllDocuments(readFileSync(path, 'utf8')).map((parsed) => {
      if (parsed.errors.length > 0)
        throw new Error(`${file}: ${parsed.errors.map((e) => e.message).join('; ')}`);
      return { file, doc: parsed.toJS() as K8sDocument };
    });
  });
  const ofKind = (kind: string): K8sDocument[] =>
    documents.filter(({ doc }) => doc?.kind === kind).map(({ doc }) => doc);
  const named = (kind: string, name: string): K8sDocument | undefined =>
    ofKind(kind).find((doc) => doc.metadata?.name === name);
  const containerOf = (name: string): Container => {
    const deployment = named('Deployment', name);
    if (!deployment) throw new Error(`no Deployment "${name}" under deploy/k8s`);
    const containers = deployment.spec.template.spec.containers as Container[];
    return containers.find((c) => c.name === name) ?? containers[0];
  };
  /** A probe's port resolved through the container's named ports. */
  const probePort = (container: Container, probe: Probe | undefined): number | undefined => {
    const port = probe?.httpGet?.port;
    if (typeof port === 'number') return port;
    return container.ports?.find((p) => p.name === port)?.containerPort;
  };

  it('parses every file into documents with apiVersion, kind and metadata.name', () => {
    expect(documents.length).toBeGreaterThan(0);
    for (const { file, doc } of documents) {
      expect({ file, apiVersion: typeof doc?.apiVersion, kind: typeof doc?.kind }).toEqual({
        file,
        apiVersion: 'string',
        kind: 'string',
      });
      expect({ file, name: typeof doc.metadata?.name }).toEqual({ file, name: 'string' });
    }
  });

  it.each(START_ORDER)('runs %s as a Deployment listening on the topology port', (name) => {
    const container = containerOf(name);
    expect(container.ports?.map((p) => p.containerPort)).toContain(SERVICES[name].port);
    expect(container.env).toContainEqual({ name: 'PORT', value: String(SERVICES[name].port) });
    expect(container.envFrom).toContainEqual({ configMapRef: { name: 'unionfed-config' } });
  });

  it.each(START_ORDER)('probes %s on its health endpoints', (name) => {
    const container = containerOf(name);
    expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(probePort(container, container.readinessProbe)).toBe(SERVICES[name].port);
    expect(probePort(container, container.livenessProbe)).toBe(SERVICES[name].port);
  });

  it.each(START_ORDER)('exposes %s through a Service on the topology port', (name) => {
    const svc = named('Service', name);
    expect(svc).toBeDefined();
    expect(svc?.spec.ports.map((p: { port: number }) => p.port)).toContain(SERVICES[name].port);
  });

  it.each(START_ORDER)('runs two replicas of %s wired to its own database', (name) => {
    const deployment = named('Deployment', name);
    expect(deployment?.spec.replicas).toBe(2);
    const url = containerOf(name).env?.find((e) => e.name === 'DATABASE_URL')?.value ?? '';
    expect(url.endsWith(`/${SERVICES[name].database}`)).toBe(true);
    const databases = ofKind('Database').map((db) => db.spec?.name);
    expect(databases).toContain(SERVICES[name].database);
  });

  it.each(DOMAIN_SERVICES)('tells the gateway where the %s Service listens', (name) => {
    const config = named('ConfigMap', 'unionfed-config');
    expect(config?.data?.[subgraphUrlVariable(name)]).toBe(`http://${name}:${SERVICES[name].port}/graphql`);
  });

  it('declares a dead-letter topic for every topic and a topic for every dead-letter topic', () => {
    const topics = ofKind('KafkaTopic').map((t) => String(t.spec?.topicName ?? t.metadata?.name));
    expect(topics.length).toBeGreaterThan(0);
    const main = topics.filter((t) => !t.endsWith('.dlq'));
    const dlq = topics.filter((t) => t.endsWith('.dlq'));
    expect(dlq.sort()).toEqual(main.map((t) => `${t}.dlq`).sort());
  });

  it('replicates every topic three times, with 6 partitions for events and 1 for dead letters', () => {
    for (const topic of ofKind('KafkaTopic')) {
      const name = String(topic.spec?.topicName ?? topic.metadata?.name);
      expect({ name, replicas: topic.spec?.replicas, partitions: topic.spec?.partitions }).toEqual({
        name,
        replicas: 3,
        partitions: name.endsWith('.dlq') ? 1 : 6,
      });
    }
  });
});
