import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  evaluate,
  type NetworkPolicy,
  type PodEndpoint,
  selectorMatches,
} from '../../../lib/network-policy-eval.ts';

const pod = (
  namespace: string,
  labels: Record<string, string>,
  namedPorts?: Record<string, number>,
): PodEndpoint => ({
  kind: 'pod',
  namespace,
  labels,
  ...(namedPorts === undefined ? {} : { namedPorts }),
});
const np = (namespace: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({
  metadata: { name: 'p', namespace },
  spec,
});

const web = pod('a', { app: 'web' }, { http: 8080 });
const db = pod('a', { app: 'db' });
const other = pod('b', { app: 'web' });

describe('selectorMatches', () => {
  it('matches labels and every expression operator; {} matches all', () => {
    expect(selectorMatches({}, { x: '1' })).toBe(true);
    expect(selectorMatches({ matchLabels: { x: '1' } }, { x: '2' })).toBe(false);
    const l = { tier: 'api', env: 'prod' };
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['api'] }] }, l)).toBe(
      true,
    );
    expect(
      selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, l),
    ).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, l)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, l)).toBe(true);
    expect(() => selectorMatches({ matchExpressions: [{ key: 'x', operator: 'Gt' }] }, l)).toThrow(
      /operator/,
    );
  });
});

describe('cidrContains', () => {
  it('compares prefixes of IPv4 and IPv6 addresses, never across families', () => {
    expect(cidrContains('10.0.0.0/8', '10.200.1.1')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(cidrContains('203.0.113.7/32', '203.0.113.7')).toBe(true);
    expect(cidrContains('203.0.113.7/32', '203.0.113.8')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '1.1.1.1')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db8:1::5')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db9::5')).toBe(false);
    expect(cidrContains('10.0.0.0/8', '::1')).toBe(false);
  });
});

describe('evaluate', () => {
  it('allows everything when no policy selects either side', () => {
    expect(evaluate([], { from: web, to: db, port: 5432 })).toEqual({
      allowed: true,
      egress: true,
      ingress: true,
    });
  });

  it('denies both directions under a default deny of both types', () => {
    const deny = np('a', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(evaluate([deny], { from: web, to: db, port: 5432 })).toEqual({
      allowed: false,
      egress: false,
      ingress: false,
    });
    // A pod in another namespace is not selected by it.
    expect(evaluate([deny], { from: other, to: { kind: 'address', ip: '1.1.1.1' }, port: 443 }).allowed).toBe(
      true,
    );
  });

  it('defaults policyTypes to Ingress, plus Egress when egress rules exist', () => {
    const ingressOnly = np('a', { podSelector: {} });
    expect(
      evaluate([ingressOnly], { from: web, to: { kind: 'address', ip: '1.1.1.1' }, port: 443 }).allowed,
    ).toBe(true);
    const withEgress = np('a', { podSelector: {}, egress: [] });
    expect(
      evaluate([withEgress], { from: web, to: { kind: 'address', ip: '1.1.1.1' }, port: 443 }).allowed,
    ).toBe(false);
  });

  it('adds rules of every selecting policy; matches pod, namespace and combined peers, ports and protocols', () => {
    const policies = [
      np('a', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      np('a', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] },
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
            ports: [{ protocol: 'UDP', port: 53 }],
          },
        ],
      }),
      np('a', {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { app: 'web' } } }],
            ports: [{ protocol: 'TCP', port: 5432 }],
          },
        ],
      }),
    ];
    expect(evaluate(policies, { from: web, to: db, port: 5432 }).allowed).toBe(true);
    expect(evaluate(policies, { from: web, to: db, port: 5433 }).allowed).toBe(false);
    // The podSelector alone means the policy's namespace: the same labels elsewhere do not match.
    expect(evaluate(policies, { from: web, to: pod('b', { app: 'db' }), port: 5432 }).egress).toBe(false);
    const dns = pod('kube-system', { 'k8s-app': 'kube-dns' });
    expect(evaluate(policies, { from: web, to: dns, port: 53, protocol: 'UDP' }).allowed).toBe(true);
    expect(evaluate(policies, { from: web, to: dns, port: 53, protocol: 'TCP' }).allowed).toBe(false);
    // db may not open connections (selected by the deny-all egress, no egress rule).
    expect(evaluate(policies, { from: db, to: web, port: 8080 }).egress).toBe(false);
  });

  it('matches combined namespace and pod selectors, named ports, port ranges and ipBlocks with exceptions', () => {
    const policies = [
      np('a', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: 'obs' } },
                podSelector: { matchLabels: { app: 'prom' } },
              },
            ],
            ports: [{ port: 'http' }],
          },
        ],
        egress: [
          {
            to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
            ports: [{ port: 9000, endPort: 9010 }],
          },
        ],
      }),
    ];
    const prom = { ...pod('mon', { app: 'prom' }), namespaceLabels: { team: 'obs' } };
    expect(evaluate(policies, { from: prom, to: web, port: 8080 }).allowed).toBe(true);
    expect(evaluate(policies, { from: prom, to: web, port: 9090 }).allowed).toBe(false);
    expect(evaluate(policies, { from: pod('mon', { app: 'grafana' }), to: web, port: 8080 }).allowed).toBe(
      false,
    );
    expect(evaluate(policies, { from: pod('other', { app: 'prom' }), to: web, port: 8080 }).allowed).toBe(
      false,
    );
    const to = (ip: string) => ({ kind: 'address' as const, ip });
    expect(evaluate(policies, { from: web, to: to('10.2.3.4'), port: 9005 }).allowed).toBe(true);
    expect(evaluate(policies, { from: web, to: to('10.2.3.4'), port: 9011 }).allowed).toBe(false);
    expect(evaluate(policies, { from: web, to: to('10.1.3.4'), port: 9005 }).allowed).toBe(false);
    expect(evaluate(policies, { from: web, to: to('11.0.0.1'), port: 9005 }).allowed).toBe(false);
  });

  it('treats a rule without peers as any peer, without ports as any port, and an empty peer list as none', () => {
    const any = np('a', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 443 }] }] });
    expect(evaluate([any], { from: web, to: { kind: 'address', ip: '1.1.1.1' }, port: 443 }).allowed).toBe(
      true,
    );
    expect(evaluate([any], { from: web, to: db, port: 443 }).allowed).toBe(true);
    const anyPort = np('a', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: {} }] }],
    });
    expect(evaluate([anyPort], { from: web, to: db, port: 1 }).allowed).toBe(true);
    const none = np('a', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [], ports: [{ port: 443 }] }],
    });
    expect(evaluate([none], { from: web, to: db, port: 443 }).allowed).toBe(false);
  });
});
