/**
 * One JSON POST over a keep-alive agent, headers and body in one write: Node's fetch sends them in
 * two writes and the second waits on the server's delayed ACK (~40 ms on loopback), which would
 * measure the client, not the API. Used by the generator's api target and the ingestion benchmark.
 */
import { type Agent, request } from 'node:http';

export interface PostResult {
  status: number;
  /** Seconds from a Retry-After header (1 when absent). */
  retryAfter: number;
  text: string;
}

export function postJson(agent: Agent, url: string, body: string): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Number(res.headers['retry-after'] ?? 1),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
