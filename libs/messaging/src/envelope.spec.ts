import {
  childTraceparent,
  fromKafkaHeaders,
  isTraceparent,
  MalformedEnvelopeError,
  newTraceparent,
  toKafkaHeaders,
  traceIdOf,
} from './envelope';

describe('CloudEvents envelope', () => {
  const envelope = {
    id: '01900000-0000-7000-8000-000000000001',
    type: 'unionfed.membership.MemberJoined.v1',
    source: '/unionfed/membership',
    time: '2026-11-22T10:00:00.000Z',
    traceparent: newTraceparent(),
    branchId: 'b-1',
  };

  it('round-trips through Kafka headers in binary mode', () => {
    const headers = toKafkaHeaders(envelope);
    expect(headers).toMatchObject({
      ce_specversion: '1.0',
      'content-type': 'application/protobuf',
      unionfed_branch_id: 'b-1',
    });
    const asReceived = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));
    expect(fromKafkaHeaders(asReceived)).toEqual(envelope);
  });

  it('refuses a message without the CloudEvents attributes', () => {
    expect(() => fromKafkaHeaders({ ce_id: Buffer.from('x') })).toThrow(MalformedEnvelopeError);
  });

  it('continues a trace with a new span', () => {
    const parent = newTraceparent();
    const child = childTraceparent(parent);
    expect(isTraceparent(child)).toBe(true);
    expect(traceIdOf(child)).toBe(traceIdOf(parent));
    expect(child).not.toBe(parent);
  });

  it('rejects malformed and all-zero trace ids', () => {
    expect(isTraceparent('00-abc-01')).toBe(false);
    expect(isTraceparent(`00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`)).toBe(false);
  });
});
