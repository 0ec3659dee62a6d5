/**
 * Network endpoints named in a CreditPipeline (Kafka bootstrap servers, external store endpoints,
 * webhook URLs) as NetworkPolicy egress destinations. A policy matches addresses, not names: an IP
 * address becomes an ipBlock of exactly that address; a host name can only be matched by its port
 * (to any address), unless the spec lists the addresses it resolves to (`cidrs`).
 */
import { isIP } from 'node:net';

/** One egress destination: a port, and the CIDRs it may be reached at (empty: any address). */
export interface EgressEndpoint {
  port: number;
  cidrs: string[];
}

/** `host:port` split; an IPv6 host may be written in brackets. */
export function parseHostPort(hostPort: string): { host: string; port: number } {
  const colon = hostPort.lastIndexOf(':');
  if (colon <= 0) throw new Error(`not host:port: ${hostPort}`);
  const host = hostPort.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(hostPort.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port in ${hostPort}`);
  return { host, port };
}

/** The single-address CIDR of an IP literal, or undefined for a host name. */
export function ipCidr(host: string): string | undefined {
  const v = isIP(host);
  return v === 4 ? `${host}/32` : v === 6 ? `${host}/128` : undefined;
}

/**
 * Egress destinations of `host:port` endpoints: IP literals as their own address, host names as
 * `nameCidrs` (empty: any address). Merged per port, so one rule per port.
 */
export function egressEndpoints(
  endpoints: readonly { host: string; port: number }[],
  nameCidrs: readonly string[],
): EgressEndpoint[] {
  const byPort = new Map<number, { any: boolean; cidrs: Set<string> }>();
  for (const { host, port } of endpoints) {
    const entry = byPort.get(port) ?? { any: false, cidrs: new Set<string>() };
    byPort.set(port, entry);
    const own = ipCidr(host);
    if (own !== undefined) entry.cidrs.add(own);
    else if (nameCidrs.length === 0) entry.any = true;
    else for (const c of nameCidrs) entry.cidrs.add(c);
  }
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, e]) => ({ port, cidrs: e.any ? [] : [...e.cidrs].sort() }));
}

/** Host and port of an http(s) URL (the scheme's default port when none is written). */
export function urlHostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}
