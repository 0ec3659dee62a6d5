import { describe, expect, it } from 'vitest';
import { ServiceMap } from '../../../infra/local-runner/service-map.ts';

describe('ServiceMap (cluster DNS stand-in)', () => {
  const map = new ServiceMap();
  map.add('lending', 'demo-postgres', 5432, { host: '127.0.0.1', port: 40001 });
  map.add('lending', 'credit-kafka-kafka-bootstrap', 9092, { host: '127.0.0.1', port: 40002 });

  it('rewrites every form of a Service name inside URLs to its loopback endpoint', () => {
    expect(map.rewrite('postgres://u:p@demo-postgres:5432/db', 'lending')).toBe(
      'postgres://u:p@127.0.0.1:40001/db',
    );
    expect(map.rewrite('postgres://u:p@demo-postgres.lending.svc.cluster.local:5432/db', 'other')).toBe(
      'postgres://u:p@127.0.0.1:40001/db',
    );
    expect(map.rewrite('credit-kafka-kafka-bootstrap.lending.svc:9092', 'lending')).toBe('127.0.0.1:40002');
  });

  it('leaves unknown hosts, other namespaces and other ports alone', () => {
    expect(map.rewrite('kafka.example.com:9092', 'lending')).toBe('kafka.example.com:9092');
    expect(map.rewrite('demo-postgres:5432', 'other')).toBe('demo-postgres:5432');
    expect(map.rewrite('demo-postgres:5433', 'lending')).toBe('demo-postgres:5433');
  });

  it('rewrites each entry of a broker list and survives a snapshot round trip', () => {
    const copy = ServiceMap.fromSnapshot(map.snapshot());
    expect(copy.rewrite('credit-kafka-kafka-bootstrap:9092,broker-1.example:9093', 'lending')).toBe(
      '127.0.0.1:40002,broker-1.example:9093',
    );
  });
});
