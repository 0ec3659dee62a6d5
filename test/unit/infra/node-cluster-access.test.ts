/** How the host addresses Services of the node (infra/node/cluster-access.ts): the pure table part. */
import { describe, expect, it } from 'vitest';
import { endpointTable, hostAddress, nodeNamespace } from '../../../infra/node/cluster-access.ts';
import { NODE_TOLERATION } from '../../../infra/node/config.ts';

const service = (
  name: string,
  clusterIP: string,
  ports: Array<{ name?: string; port: number; protocol?: string }>,
) => ({
  metadata: { name, namespace: 'lending' },
  spec: { clusterIP, ports },
});

describe('endpointTable', () => {
  it('addresses a ClusterIP Service at its ClusterIP and service port', () => {
    const table = endpointTable(
      [service('demo-ingestion-api', '10.96.4.7', [{ name: 'http', port: 80 }])],
      [],
    );
    expect(table).toEqual({ 'demo-ingestion-api.lending:80': ['10.96.4.7:80'] });
  });

  it("addresses a headless Service at its ready endpoints' pod addresses and target port", () => {
    const table = endpointTable(
      [service('demo-postgres', 'None', [{ name: 'postgres', port: 5432 }])],
      [
        {
          metadata: { namespace: 'lending', labels: { 'kubernetes.io/service-name': 'demo-postgres' } },
          ports: [{ name: 'postgres', port: 5432 }],
          endpoints: [
            { addresses: ['10.244.0.12'], conditions: { ready: true } },
            { addresses: ['10.244.0.13'], conditions: { ready: false } },
          ],
        },
        // Another namespace's Service of the same name is not this one.
        {
          metadata: { namespace: 'other', labels: { 'kubernetes.io/service-name': 'demo-postgres' } },
          ports: [{ name: 'postgres', port: 5432 }],
          endpoints: [{ addresses: ['10.244.0.99'] }],
        },
      ],
    );
    expect(table).toEqual({ 'demo-postgres.lending:5432': ['10.244.0.12:5432'] });
  });

  it('leaves out a headless Service without ready endpoints and UDP ports', () => {
    const table = endpointTable(
      [
        service('demo-mongo', 'None', [{ name: 'mongo', port: 27017 }]),
        service('dns', '10.96.0.10', [{ name: 'dns', port: 53, protocol: 'UDP' }]),
      ],
      [],
    );
    expect(table).toEqual({});
  });
});

describe('nodeNamespace', () => {
  it('enforces Pod Security restricted and gives its pods the node toleration', () => {
    const ns = nodeNamespace('lending') as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(
      JSON.parse(ns.metadata.annotations['scheduler.alpha.kubernetes.io/defaultTolerations'] ?? ''),
    ).toEqual([NODE_TOLERATION]);
  });
});

describe('hostAddress', () => {
  const table = {
    'demo-postgres.lending:5432': ['10.244.0.34:5432'],
    'demo-kafka.lending:9092': ['10.96.0.20:9092'],
    'demo-mongo.lending:27017': ['10.244.0.33:27017', '10.244.0.36:27017'],
  };

  it('rewrites every form of a Service name inside URLs to the addresses the host reaches', () => {
    expect(hostAddress('postgres://u:p@demo-postgres:5432/db', 'lending', table)).toBe(
      'postgres://u:p@10.244.0.34:5432/db',
    );
    expect(
      hostAddress('postgres://u:p@demo-postgres.lending.svc.cluster.local:5432/db', 'other', table),
    ).toBe('postgres://u:p@10.244.0.34:5432/db');
    expect(hostAddress('mongodb://demo-mongo.lending.svc:27017/alerts', 'x', table)).toBe(
      'mongodb://10.244.0.33:27017,10.244.0.36:27017/alerts',
    );
  });

  it('rewrites each entry of a broker list, leaving unknown hosts, other namespaces and ports alone', () => {
    expect(hostAddress('demo-kafka:9092,broker-1.example:9093', 'lending', table)).toBe(
      '10.96.0.20:9092,broker-1.example:9093',
    );
    expect(hostAddress('kafka.example.com:9092', 'lending', table)).toBe('kafka.example.com:9092');
    expect(hostAddress('demo-postgres:5432', 'other', table)).toBe('demo-postgres:5432');
    expect(hostAddress('demo-postgres:5433', 'lending', table)).toBe('demo-postgres:5433');
  });
});
