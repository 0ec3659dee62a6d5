import { describe, expect, it } from 'vitest';
import { deadLetter } from '../../../workloads/fraud-detector/io/dead-letter.ts';
import { createOutputWriter, toProduce } from '../../../workloads/fraud-detector/io/output-writer.ts';
import type { BytesProducer } from '../../../workloads/shared/kafka-client.ts';

const text = (b: Buffer | undefined) => b?.toString('utf8');
const headerPairs = (h: unknown) =>
  [...(h as Map<Buffer, Buffer>)].map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]);

describe('a stage’s records as the producer takes them', () => {
  it('writes strings as UTF-8 bytes and keeps the partition of a packed record', () => {
    const m = toProduce('t', {
      partition: 4,
      value: '{"apps":["é"]}',
      headers: { 'fd-format': 'packed-v1' },
    });
    expect(m.topic).toBe('t');
    expect(m.partition).toBe(4);
    expect(m.key).toBeUndefined();
    expect(text(m.value)).toBe('{"apps":["é"]}');
    expect(headerPairs(m.headers)).toEqual([['fd-format', 'packed-v1']]);
  });

  it('leaves placement to the key when no partition is given', () => {
    const m = toProduce('alerts', { key: 'app-1', value: Buffer.from('v') });
    expect(text(m.key)).toBe('app-1');
    expect('partition' in m).toBe(false);
    expect(m.headers).toBeUndefined();
  });

  it('writes a header list once per element, in order', () => {
    const m = toProduce('t', { value: 'v', headers: { a: ['1', Buffer.from('2')], b: '3', c: undefined } });
    expect(headerPairs(m.headers)).toEqual([
      ['a', '1'],
      ['a', '2'],
      ['b', '3'],
    ]);
  });

  it('keeps a dead letter’s null value and its source’s headers as read, then adds the reason', () => {
    const record = deadLetter(
      {
        topic: 'apps',
        partition: 2,
        message: {
          key: null,
          value: null,
          offset: 41n,
          headerEntries: [
            ['trace-id', Buffer.from('t-1')],
            ['empty', null],
            ['trace-id', Buffer.from('t-2')],
            // A dead letter fed back in: its old reason is replaced, not repeated.
            ['dlq-reason', Buffer.from('schema-invalid')],
          ],
        },
      },
      'unparseable',
      'empty message value',
    );
    const m = toProduce('dlq', record);
    expect(m.value).toBeNull();
    expect(m.key).toBeUndefined();
    const pairs = [...(m.headers as Map<Buffer, Buffer | null>)].map(([k, v]) => [
      k.toString('utf8'),
      v === null ? null : v.toString('utf8'),
    ]);
    expect(pairs).toEqual([
      ['trace-id', 't-1'],
      ['empty', null],
      ['trace-id', 't-2'],
      ['dlq-reason', 'unparseable'],
      ['dlq-error', 'empty message value'],
      ['dlq-source-topic', 'apps'],
      ['dlq-source-partition', '2'],
      ['dlq-source-offset', '41'],
      ['dlq-component', 'fraud-detector'],
    ]);
  });
});

describe('the output writer', () => {
  it('sends what batches add together in one request, as bytes', async () => {
    const sends: Array<Array<{ topic: string; value: string | undefined }>> = [];
    const producer = {
      send: async (o: { messages: Array<{ topic: string; value?: Buffer }> }) => {
        sends.push(o.messages.map((m) => ({ topic: m.topic, value: text(m.value) })));
        return {};
      },
    } as unknown as BytesProducer;
    const writer = createOutputWriter(producer);
    await Promise.all([
      writer.add([{ topic: 'a', message: { value: '1' } }]),
      writer.add([
        { topic: 'b', message: { value: '2' } },
        { topic: 'a', message: { value: '3' } },
      ]),
    ]);
    expect(sends).toEqual([
      [
        { topic: 'a', value: '1' },
        { topic: 'b', value: '2' },
        { topic: 'a', value: '3' },
      ],
    ]);
  });
});
