import { randomFillSync } from 'node:crypto';
import type { IHeaders } from 'kafkajs';

/**
 * CloudEvents Kafka protocol binding, binary mode: the event's attributes travel as `ce_*` headers, the value is
 * the protobuf bytes. `traceparent` carries the W3C trace context; `unionfed_branch_id` lets consumers and tools
 * route or filter by branch without decoding the payload.
 */
export const CE_SPEC_VERSION = '1.0';
export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';

export interface EventEnvelope {
  id: string;
  type: string;
  source: string;
  time: string;
  traceparent: string;
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
    traceparent: envelope.traceparent,
  };
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
  return {
    id,
    type,
    source,
    time,
    traceparent: header(headers, 'traceparent') ?? newTraceparent(),
    branchId: header(headers, 'unionfed_branch_id'),
  };
}

/** Random ids come from a pool filled 4 KiB at a time: a consumer makes one per event, a syscall each was 8 % of it. */
const pool = Buffer.alloc(4096);
let pooled = pool.length;
function randomHex(bytes: number): string {
  if (pooled + bytes > pool.length) {
    randomFillSync(pool);
    pooled = 0;
  }
  pooled += bytes;
  return pool.toString('hex', pooled - bytes, pooled);
}

/** A fresh W3C traceparent (version 00, sampled). */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
export function isTraceparent(value: string | undefined): value is string {
  return !!value && TRACEPARENT.test(value) && !/^00-0{32}-/.test(value);
}

/** The trace context for a call made on behalf of `traceparent`: same trace, a new span. */
export function childTraceparent(traceparent: string): string {
  const [version, traceId, , flags] = traceparent.split('-');
  return `${version}-${traceId}-${randomHex(8)}-${flags}`;
}

export function traceIdOf(traceparent: string): string {
  return traceparent.split('-')[1];
}
