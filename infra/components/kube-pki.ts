/**
 * The control plane's certificates, made with the openssl CLI the way envtest and kubeadm lay them
 * out: one CA that signs the serving certificates and the client certificates (the apiserver trusts
 * it through --client-ca-file), plus a service-account signing key pair. ECDSA P-256 throughout:
 * Kubernetes accepts it for TLS and for service-account tokens (ES256), and it is generated in
 * milliseconds.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KubePki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  /** Client certificate of the admin (O=system:masters). */
  adminCert: string;
  adminKey: string;
  /** Client certificate the controller-manager authenticates with (CN=system:kube-controller-manager). */
  controllerManagerClientCert: string;
  controllerManagerClientKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** The node's certificates (infra/components/node.ts): client certificates of its daemons, the kubelet's serving pair. */
  node: NodePki;
}

export interface NodePki {
  /** Client certificate of the kubelet (CN=system:node:<name>, O=system:nodes: the Node authorizer). */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** Serving certificate of the kubelet API (the node address as IP SAN). */
  kubeletServingCert: string;
  kubeletServingKey: string;
  /** The apiserver's client certificate towards kubelets (logs, exec, port-forward). */
  apiserverKubeletClientCert: string;
  apiserverKubeletClientKey: string;
  schedulerClientCert: string;
  schedulerClientKey: string;
  /** CN=system:kube-proxy, bound to system:node-proxier by the bootstrap RBAC policy. */
  proxyClientCert: string;
  proxyClientKey: string;
}

/** Name and address of the harness node, when one is started (see infra/components/node.ts). */
export interface NodeIdentity {
  name: string;
  ip: string;
}

/** In-cluster names of the `kubernetes` Service, so pods (or stand-ins) can verify the apiserver. */
const apiserverNames = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

const validDays = '3650';

export function generatePki(dir: string, serviceClusterIp: string, node: NodeIdentity): KubePki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = (name: string): string => join(dir, name);

  newKey(p('ca.key'));
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    p('ca.key'),
    '-subj',
    '/CN=credit-platform-harness-ca',
    '-days',
    validDays,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out',
    p('ca.crt'),
  ]);

  const issue = (name: string, subject: string, usage: 'serverAuth' | 'clientAuth', sans: string[] = []) => {
    newKey(p(`${name}.key`));
    openssl(['req', '-new', '-key', p(`${name}.key`), '-subj', subject, '-out', p(`${name}.csr`)]);
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage}`,
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
    ];
    writeFileSync(p(`${name}.ext`), `${ext.join('\n')}\n`);
    openssl([
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      validDays,
      '-extfile',
      p(`${name}.ext`),
      '-out',
      p(`${name}.crt`),
    ]);
  };

  const loopback = ['IP:127.0.0.1', 'DNS:localhost'];
  issue('apiserver', '/CN=kube-apiserver', 'serverAuth', [
    'IP:127.0.0.1',
    `IP:${node.ip}`,
    `IP:${serviceClusterIp}`,
    ...apiserverNames.map((n) => `DNS:${n}`),
  ]);
  issue('controller-manager', '/CN=kube-controller-manager', 'serverAuth', loopback);
  issue('admin', '/O=system:masters/CN=kubernetes-admin', 'clientAuth');
  issue('controller-manager-client', '/CN=system:kube-controller-manager', 'clientAuth');

  issue('kubelet-client', `/O=system:nodes/CN=system:node:${node.name}`, 'clientAuth');
  issue('kubelet-serving', `/CN=${node.name}`, 'serverAuth', [`IP:${node.ip}`, `DNS:${node.name}`]);
  issue('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'clientAuth');
  issue('scheduler-client', '/CN=system:kube-scheduler', 'clientAuth');
  issue('proxy-client', '/CN=system:kube-proxy', 'clientAuth');

  newKey(p('sa.key'));
  openssl(['pkey', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub')]);

  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    apiserverCert: p('apiserver.crt'),
    apiserverKey: p('apiserver.key'),
    controllerManagerCert: p('controller-manager.crt'),
    controllerManagerKey: p('controller-manager.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    controllerManagerClientCert: p('controller-manager-client.crt'),
    controllerManagerClientKey: p('controller-manager-client.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
    node: {
      kubeletClientCert: p('kubelet-client.crt'),
      kubeletClientKey: p('kubelet-client.key'),
      kubeletServingCert: p('kubelet-serving.crt'),
      kubeletServingKey: p('kubelet-serving.key'),
      apiserverKubeletClientCert: p('apiserver-kubelet-client.crt'),
      apiserverKubeletClientKey: p('apiserver-kubelet-client.key'),
      schedulerClientCert: p('scheduler-client.crt'),
      schedulerClientKey: p('scheduler-client.key'),
      proxyClientCert: p('proxy-client.crt'),
      proxyClientKey: p('proxy-client.key'),
    },
  };
}

/** A kubeconfig (JSON, which kubectl and client libraries read as YAML) with the credentials inline. */
export function writeKubeconfig(
  file: string,
  o: { server: string; caCert: string; clientCert: string; clientKey: string; user: string },
): void {
  const b64 = (f: string): string => readFileSync(f).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'credit-harness', cluster: { server: o.server, 'certificate-authority-data': b64(o.caCert) } },
    ],
    users: [
      {
        name: o.user,
        user: { 'client-certificate-data': b64(o.clientCert), 'client-key-data': b64(o.clientKey) },
      },
    ],
    contexts: [{ name: 'credit-harness', context: { cluster: 'credit-harness', user: o.user } }],
    'current-context': 'credit-harness',
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

function newKey(file: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  chmodSync(file, 0o600);
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(err)}`);
  }
}
