/** The admin client's options the operator builds from a pipeline's spec.kafka and its auth Secret. */
import { describe, expect, it } from 'vitest';
import { adminOptions } from '../../../operator/reconcile/topics.ts';
import { pipeline } from './fixtures.ts';

const direct = (kafka: Record<string, unknown>) =>
  pipeline({ kafka: { bootstrapServers: 'b1:9093,b2:9093', topicManagement: 'direct', ...kafka } });

describe('adminOptions', () => {
  it('connects to every bootstrap server under a client id naming the pipeline, without TLS or SASL by default', () => {
    const o = adminOptions(direct({}), undefined);
    expect(o.bootstrapBrokers).toEqual(['b1:9093', 'b2:9093']);
    expect(o.clientId).toBe('credit-platform-operator.lending.demo');
    expect(o).toMatchObject({ connectTimeout: 5_000, requestTimeout: 15_000, retries: 2, retryDelay: 200 });
    expect(o.tls).toBeUndefined();
    expect(o.sasl).toBeUndefined();
    expect(o.autocreateTopics).toBe(false);
  });

  it("uses the Secret's CA and client certificate for TLS, and its username and password for SASL", () => {
    const o = adminOptions(
      direct({ tls: true, sasl: 'scram-sha-512', authSecretRef: { name: 'kafka-auth' } }),
      {
        'ca.crt': 'CA PEM',
        'tls.crt': 'CERT PEM',
        'tls.key': 'KEY PEM',
        username: 'svc',
        password: 'secret',
      },
    );
    expect(o.tls).toEqual({ ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' });
    // The client's spelling of the mechanism (it refuses the CRD's lower case).
    expect(o.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'svc', password: 'secret' });
  });

  it('speaks TLS with the system CAs when the Secret has no certificates', () => {
    expect(adminOptions(direct({ tls: true, authSecretRef: { name: 'kafka-auth' } }), {}).tls).toEqual({});
  });

  it('refuses a pipeline without bootstrap servers', () => {
    expect(() => adminOptions(pipeline(), undefined)).toThrow(
      'direct topic management needs spec.kafka.bootstrapServers',
    );
  });
});
