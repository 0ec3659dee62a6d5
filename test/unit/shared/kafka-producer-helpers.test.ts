/** Helpers of workloads/shared/kafka-client.ts: connection options, records as bytes, what a failure means. */
import {
  allowedSASLMechanisms,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { SASL_MECHANISMS as SASL_MECHANISMS_CRD } from '../../../api/v1alpha1.ts';
import {
  bytesMessage,
  clientOptions,
  describeKafkaError,
  kafkaFailureKind,
  SASL_MECHANISMS,
} from '../../../workloads/shared/kafka-client.ts';

describe('bytesMessage', () => {
  it('turns a text record into UTF-8 bytes for the topic, headers included', () => {
    const m = bytesMessage('credit_apps', {
      key: 'cust-ü',
      value: '{"a":"é"}',
      headers: { 'content-type': 'application/json', 'x-scenario': 'legit' },
    });
    expect(m.topic).toBe('credit_apps');
    expect(Buffer.isBuffer(m.key)).toBe(true);
    expect(m.key?.toString('utf8')).toBe('cust-ü');
    expect(m.key?.length).toBe(Buffer.byteLength('cust-ü'));
    expect(m.value?.toString('utf8')).toBe('{"a":"é"}');
    const headers = m.headers as Map<Buffer, Buffer>;
    expect(headers).toBeInstanceOf(Map);
    expect([...headers].map(([k, v]) => [k.toString(), v.toString()])).toEqual([
      ['content-type', 'application/json'],
      ['x-scenario', 'legit'],
    ]);
  });

  it('gives a record without headers an empty header map', () => {
    expect((bytesMessage('t', { key: 'k', value: 'v' }).headers as Map<Buffer, Buffer>).size).toBe(0);
  });
});

describe('kafkaFailureKind', () => {
  const refused = new NetworkError('Connection to 127.0.0.1:1 failed.', {
    cause: new Error('connect ECONNREFUSED 127.0.0.1:1'),
  });

  it('reads a refused connection, even wrapped in retries, as unavailable', () => {
    expect(kafkaFailureKind(refused)).toBe('unavailable');
    const retried = new MultipleErrors('produce failed 4 times.', [refused, refused]);
    expect(kafkaFailureKind(new MultipleErrors('Producing messages failed.', [retried]))).toBe('unavailable');
  });

  it('reads a request without an answer as a timeout', () => {
    const timedOut = new TimeoutError('Request timed out', { canRetry: true });
    expect(kafkaFailureKind(new MultipleErrors('produce failed 2 times.', [timedOut]))).toBe('timeout');
  });

  it('reads a moved or missing leader as unavailable', () => {
    expect(kafkaFailureKind(new ProtocolError('NOT_LEADER_OR_FOLLOWER'))).toBe('unavailable');
    expect(kafkaFailureKind(new ProtocolError('LEADER_NOT_AVAILABLE'))).toBe('unavailable');
  });

  it('reads a refusal of the records themselves as rejected, wherever it is wrapped', () => {
    expect(kafkaFailureKind(new ProtocolError('MESSAGE_TOO_LARGE'))).toBe('rejected');
    const wrapped = new MultipleErrors('Producing messages failed.', [
      new MultipleErrors('Received response with error', [new ProtocolError('RECORD_LIST_TOO_LARGE')]),
    ]);
    expect(kafkaFailureKind(wrapped)).toBe('rejected');
  });

  it('reads other refusals that retrying will not fix as an error', () => {
    expect(kafkaFailureKind(new UserError('Failed to serialize a message.'))).toBe('error');
    expect(kafkaFailureKind('a string')).toBe('error');
  });
});

describe('describeKafkaError', () => {
  it('names the error and the distinct causes it wraps, once each', () => {
    const refused = new NetworkError('Connection to 127.0.0.1:1 failed.', {
      cause: new Error('connect ECONNREFUSED 127.0.0.1:1'),
    });
    const text = describeKafkaError(
      new MultipleErrors('produce failed 3 times.', [refused, refused, refused]),
    );
    expect(text).toBe(
      'produce failed 3 times. (Connection to 127.0.0.1:1 failed.; connect ECONNREFUSED 127.0.0.1:1)',
    );
    expect(describeKafkaError(new Error('plain'))).toBe('plain');
  });
});

describe('clientOptions', () => {
  it.each([
    ['plain', 'PLAIN'],
    ['scram-sha-256', 'SCRAM-SHA-256'],
    ['scram-sha-512', 'SCRAM-SHA-512'],
  ] as const)(
    'passes SASL mechanism %s in the client’s spelling (%s), with the credentials',
    (ours, theirs) => {
      const options = clientOptions({
        brokers: ['broker-0:9092'],
        clientId: 'unit',
        sasl: { mechanism: ours, username: 'svc', password: 'secret' },
      });
      expect(options.sasl).toEqual({ mechanism: theirs, username: 'svc', password: 'secret' });
      expect(allowedSASLMechanisms).toContain(theirs);
    },
  );

  it('covers every mechanism the CRD allows', () => {
    for (const m of SASL_MECHANISMS_CRD) expect(allowedSASLMechanisms).toContain(SASL_MECHANISMS[m]);
  });
});
