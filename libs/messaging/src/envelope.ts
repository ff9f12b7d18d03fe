import type { IHeaders } from 'kafkajs';

/**
 * CloudEvents Kafka protocol binding, binary mode: the event's attributes travel as `ce_*` headers, the value is
 * the protobuf bytes. `traceparent` (and `tracestate`) carry the W3C trace context of the span that wrote the event
 * (the CloudEvents distributed-tracing extension); `unionfed_branch_id` lets consumers and tools route or filter by
 * branch without decoding the payload.
 */
export const CE_SPEC_VERSION = '1.0';
export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';

export interface EventEnvelope {
  id: string;
  type: string;
  source: string;
  time: string;
  /** the W3C trace context of the span that wrote the event (absent when tracing is disabled) */
  traceparent?: string;
  tracestate?: string;
  branchId?: string;
}

export function toKafkaHeaders(envelope: EventEnvelope): Record<string, string> {
  const headers: Record<string, string> = {
    ce_id: envelope.id,
    ce_type: envelope.type,
    ce_source: envelope.source,
    ce_time: envelope.time,
    ce_specversion: CE_SPEC_VERSION,
    'content-type': PROTOBUF_CONTENT_TYPE,
  };
  if (envelope.traceparent) headers.traceparent = envelope.traceparent;
  if (envelope.tracestate) headers.tracestate = envelope.tracestate;
  if (envelope.branchId) headers.unionfed_branch_id = envelope.branchId;
  return headers;
}

export class MalformedEnvelopeError extends Error {}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

/** Reads the envelope of a received message; a message that is not a CloudEvent of ours is malformed. */
export function fromKafkaHeaders(headers: IHeaders | undefined): EventEnvelope {
  const id = header(headers, 'ce_id');
  const type = header(headers, 'ce_type');
  const source = header(headers, 'ce_source');
  const time = header(headers, 'ce_time');
  if (!id || !type || !source || !time) {
    throw new MalformedEnvelopeError(
      'message lacks the CloudEvents headers ce_id, ce_type, ce_source, ce_time',
    );
  }
  const specVersion = header(headers, 'ce_specversion');
  if (specVersion !== CE_SPEC_VERSION)
    throw new MalformedEnvelopeError(`unsupported ce_specversion ${specVersion}`);
  const envelope: EventEnvelope = { id, type, source, time };
  const traceparent = header(headers, 'traceparent');
  const tracestate = header(headers, 'tracestate');
  const branchId = header(headers, 'unionfed_branch_id');
  if (traceparent) envelope.traceparent = traceparent;
  if (tracestate) envelope.tracestate = tracestate;
  if (branchId) envelope.branchId = branchId;
  return envelope;
}
