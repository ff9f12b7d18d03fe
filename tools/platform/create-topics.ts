import { createKafka, ensureTopics, kafkaBrokersFromEnv } from '@unionfed/messaging';
import { platformTopics } from '@unionfed/platform';

// One-shot step for docker compose / Kubernetes jobs: creates every topic and its DLQ on KAFKA_BROKERS.
ensureTopics(createKafka('unionfed-create-topics', kafkaBrokersFromEnv()), platformTopics())
  .then((created) => console.log(created.length ? `created ${created.join(', ')}` : 'all topics exist'))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
