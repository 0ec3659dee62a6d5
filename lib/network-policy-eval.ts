/**
 * A NetworkPolicy evaluator (networking.k8s.io/v1 semantics), for checking rendered policies where
 * no CNI enforces them: is a connection from one endpoint to another, on a port and protocol,
 * allowed by the policies of the source (egress) and of the destination (ingress)?
 *
 * Semantics implemented (the Kubernetes API reference, "NetworkPolicy"):
 * - a pod selected by no policy of a direction is unrestricted in that direction; once selected, a
 *   connection is allowed if any rule of any selecting policy allows it (rules are additive);
 * - policyTypes defaults to Ingress, plus Egress when the policy has egress rules;
 * - a rule without `to`/`from` matches every peer, without `ports` every port; an empty list in a
 *   rule (as opposed to a missing one) matches nothing for peers, everything for ports;
 * - a peer is a podSelector (in the policy's namespace), a namespaceSelector (every pod of matching
 *   namespaces), both (matching pods in matching namespaces), or an ipBlock (cidr minus except),
 *   which this evaluator applies to addresses outside the cluster only;
 * - label selectors: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist); `{}`
 *   matches everything;
 * - ports: protocol (default TCP), a number, a range (endPort) or a name looked up in the
 *   destination pod's container ports.
 * Pure: no I/O.
 */
import { isIP } from 'node:net';

export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicy {
  metadata: { name: string; namespace?: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
    egress?: { to?: PolicyPeer[]; ports?: PolicyPort[] }[];
  };
}

/** A pod in the cluster. */
export interface PodEndpoint {
  kind: 'pod';
  namespace: string;
  /** Labels of the namespace (kubernetes.io/metadata.name is added). */
  namespaceLabels?: Labels;
  labels: Labels;
  /** Container ports by name, for named ports in policies. */
  namedPorts?: Record<string, number>;
}

/** An address outside the cluster (matched by ipBlock only). */
export interface AddressEndpoint {
  kind: 'address';
  ip: string;
}

export type Endpoint = PodEndpoint | AddressEndpoint;

export interface Connection {
  from: PodEndpoint;
  to: Endpoint;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface Verdict {
  allowed: boolean;
  egress: boolean;
  ingress: boolean;
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

/** Is `ip` inside `cidr` (IPv4 or IPv6)? */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const family = isIP(ip);
  if (base === undefined || bitsText === undefined || family === 0 || isIP(base) !== family) return false;
  const a = ipBits(base);
  const b = ipBits(ip);
  const bits = Number(bitsText);
  return a.slice(0, bits) === b.slice(0, bits);
}

function ipBits(ip: string): string {
  if (isIP(ip) === 4)
    return ip
      .split('.')
      .map((o) => Number(o).toString(2).padStart(8, '0'))
      .join('');
  const [head = '', tail] = ip.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const missing = 8 - h.length - t.length;
  return [...h, ...Array(tail === undefined ? 0 : missing).fill('0'), ...t]
    .map((g) => Number.parseInt(g, 16).toString(2).padStart(16, '0'))
    .join('');
}

function namespaceLabels(p: PodEndpoint): Labels {
  return { ...(p.namespaceLabels ?? {}), 'kubernetes.io/metadata.name': p.namespace };
}

function peerMatches(peer: PolicyPeer, policyNamespace: string, target: Endpoint): boolean {
  if (peer.ipBlock !== undefined) {
    if (target.kind !== 'address') return false;
    return (
      cidrContains(peer.ipBlock.cidr, target.ip) &&
      !(peer.ipBlock.except ?? []).some((c) => cidrContains(c, target.ip))
    );
  }
  if (target.kind !== 'pod') return false;
  if (peer.namespaceSelector === undefined) {
    return target.namespace === policyNamespace && selectorMatches(peer.podSelector, target.labels);
  }
  return (
    selectorMatches(peer.namespaceSelector, namespaceLabels(target)) &&
    selectorMatches(peer.podSelector, target.labels)
  );
}

function portMatches(
  ports: PolicyPort[] | undefined,
  dest: Endpoint,
  port: number,
  protocol: string,
): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') {
      if (/^[0-9]+$/.test(p.port)) return Number(p.port) === port;
      return dest.kind === 'pod' && dest.namedPorts?.[p.port] === port;
    }
    return p.endPort === undefined ? p.port === port : port >= p.port && port <= p.endPort;
  });
}

const types = (p: NetworkPolicy): string[] =>
  p.spec.policyTypes ?? ['Ingress', ...(p.spec.egress !== undefined ? ['Egress'] : [])];

function selecting(policies: readonly NetworkPolicy[], pod: PodEndpoint, type: string): NetworkPolicy[] {
  return policies.filter(
    (p) =>
      (p.metadata.namespace ?? pod.namespace) === pod.namespace &&
      types(p).includes(type) &&
      selectorMatches(p.spec.podSelector, pod.labels),
  );
}

/** Whether `policies` (of any namespaces; a policy without namespace is in its pod's) allow `c`. */
export function evaluate(policies: readonly NetworkPolicy[], c: Connection): Verdict {
  const protocol = c.protocol ?? 'TCP';
  const out = selecting(policies, c.from, 'Egress');
  const egress =
    out.length === 0 ||
    out.some((p) =>
      (p.spec.egress ?? []).some(
        (r) =>
          (r.to === undefined ||
            r.to.some((peer) => peerMatches(peer, p.metadata.namespace ?? c.from.namespace, c.to))) &&
          portMatches(r.ports, c.to, c.port, protocol),
      ),
    );
  let ingress = true;
  if (c.to.kind === 'pod') {
    const dest = c.to;
    const into = selecting(policies, dest, 'Ingress');
    ingress =
      into.length === 0 ||
      into.some((p) =>
        (p.spec.ingress ?? []).some(
          (r) =>
            (r.from === undefined ||
              r.from.some((peer) => peerMatches(peer, p.metadata.namespace ?? dest.namespace, c.from))) &&
            portMatches(r.ports, dest, c.port, protocol),
        ),
      );
  }
  return { allowed: egress && ingress, egress, ingress };
}
