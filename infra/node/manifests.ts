/**
 * What the node puts into the cluster once it runs: cluster DNS (CoreDNS as a Deployment in
 * kube-system behind the kube-dns Service) and the default StorageClass of the volume provisioner.
 * Applied with kubectl; every pod here tolerates the node's taint and runs as Pod Security
 * `restricted` allows.
 */
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN, NODE_TOLERATION } from './config.ts';
import { PROVISIONER, STORAGE_CLASS } from './volume-provisioner.ts';

export type Manifest = Record<string, unknown>;

/** The Pod Security `restricted` container settings every harness pod uses. */
export const restrictedContainer = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

const COREDNS_LABELS = { 'k8s-app': 'kube-dns' };

export function corednsManifests(image: string): Manifest[] {
  const ns = 'kube-system';
  // The cluster's zones are answered by the kubernetes plugin (NXDOMAIN for what does not exist,
  // reverse lookups included); every other name gets NXDOMAIN from the template plugin at once. No
  // forward plugin: nothing is ever asked of a resolver off the machine, and a resolver that fails
  // (SERVFAIL) would make clients retry and give up slowly instead of moving on.
  const corefile = [
    `${CLUSTER_DOMAIN}:53 in-addr.arpa:53 ip6.arpa:53 {`,
    '    errors',
    '    health {',
    '        lameduck 2s',
    '    }',
    '    ready',
    `    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {`,
    '        pods insecure',
    '        ttl 30',
    '    }',
    '    prometheus :9153',
    '    cache 30',
    '    loadbalance',
    '}',
    '.:53 {',
    '    errors',
    '    template ANY ANY {',
    '        rcode NXDOMAIN',
    '    }',
    '}',
    '',
  ].join('\n');
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        {
          apiGroups: [''],
          resources: ['endpoints', 'services', 'pods', 'namespaces'],
          verbs: ['list', 'watch'],
        },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: ns },
      data: { Corefile: corefile },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: ns, labels: COREDNS_LABELS },
      spec: {
        replicas: 1,
        selector: { matchLabels: COREDNS_LABELS },
        template: {
          metadata: { labels: COREDNS_LABELS },
          spec: {
            serviceAccountName: 'coredns',
            priorityClassName: 'system-cluster-critical',
            // CoreDNS itself must not resolve through itself.
            dnsPolicy: 'Default',
            tolerations: [NODE_TOLERATION],
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'coredns',
                image,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                // Port 53 as non-root without capabilities: containerd opens unprivileged ports
                // in each pod's network namespace (ip_unprivileged_port_start=0 there only).
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
                ],
                resources: { requests: { cpu: '50m', memory: '40Mi' }, limits: { memory: '128Mi' } },
                // 5 s probe timeouts: the default 1 s restarts a healthy CoreDNS on a busy node.
                livenessProbe: {
                  httpGet: { path: '/health', port: 8080 },
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                  failureThreshold: 6,
                },
                readinessProbe: {
                  httpGet: { path: '/ready', port: 8181 },
                  periodSeconds: 2,
                  timeoutSeconds: 5,
                  failureThreshold: 3,
                },
                securityContext: restrictedContainer,
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: ns, labels: COREDNS_LABELS },
      spec: {
        clusterIP: CLUSTER_DNS_IP,
        selector: COREDNS_LABELS,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    },
  ];
}

export function storageManifests(): Manifest[] {
  return [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: STORAGE_CLASS,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    },
  ];
}
