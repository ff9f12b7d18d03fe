import { fromKafkaHeaders, MalformedEnvelopeError, toKafkaHeaders } from './envelope';

describe('CloudEvents envelope', () => {
  const envelope = {
    id: '01900000-0000-7000-8000-000000000001',
    type: 'unionfed.membership.MemberJoined.v1',
    source: '/unionfed/membership',
    time: '2026-11-22T10:00:00.000Z',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: 'vendor=1',
    branchId: 'b-1',
  };
  const asReceived = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));

  it('round-trips through Kafka headers in binary mode, the W3C trace context included', () => {
    const headers = toKafkaHeaders(envelope);
    expect(headers).toMatchObject({
      ce_specversion: '1.0',
      'content-type': 'application/protobuf',
      traceparent: envelope.traceparent,
      tracestate: 'vendor=1',
      unionfed_branch_id: 'b-1',
    });
    expect(fromKafkaHeaders(asReceived(headers))).toEqual(envelope);
  });

  it('writes no trace headers for an event written outside any trace, and invents none on reading', () => {
    const { traceparent: _t, tracestate: _s, ...untraced } = envelope;
    const headers = toKafkaHeaders(untraced);
    expect(Object.keys(headers)).not.toContain('traceparent');
    expect(fromKafkaHeaders(asReceived(headers))).toEqual(untraced);
  });

  it('refuses a message without the CloudEvents attributes', () => {
    expect(() => fromKafkaHeaders({ ce_id: Buffer.from('x') })).toThrow(MalformedEnvelopeError);
  });
});
