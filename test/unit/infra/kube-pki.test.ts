import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePki, type KubePki, writeKubeconfig } from '../../../infra/components/kube-pki.ts';

const serverAuth = '1.3.6.1.5.5.7.3.1';
const clientAuth = '1.3.6.1.5.5.7.3.2';

describe('control-plane PKI (openssl)', () => {
  let dir: string;
  let pki: KubePki;
  const cert = (file: string) => new X509Certificate(readFileSync(file));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-pki-'));
    pki = generatePki(join(dir, 'pki'), '10.0.0.1', { name: 'node-a', ip: '10.244.0.1' });
    // Sixteen openssl runs; slow on a loaded 2-core machine.
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a self-signed CA that signed every leaf certificate', () => {
    const ca = cert(pki.caCert);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    for (const leaf of [
      pki.apiserverCert,
      pki.controllerManagerCert,
      pki.adminCert,
      pki.controllerManagerClientCert,
    ]) {
      const c = cert(leaf);
      expect(c.ca).toBe(false);
      expect(c.checkIssued(ca)).toBe(true);
      expect(c.verify(ca.publicKey)).toBe(true);
    }
  });

  it('serves the apiserver under loopback and the in-cluster names of the kubernetes Service', () => {
    const c = cert(pki.apiserverCert);
    expect(c.keyUsage).toEqual([serverAuth]);
    expect(c.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(c.checkIP('10.0.0.1')).toBe('10.0.0.1');
    expect(c.checkHost('kubernetes.default.svc.cluster.local')).toBe('kubernetes.default.svc.cluster.local');
    expect(c.checkHost('example.com')).toBeUndefined();
  });

  it('gives the admin system:masters and the controller-manager its RBAC user name, client-only', () => {
    const admin = cert(pki.adminCert);
    expect(admin.subject).toContain('O=system:masters');
    expect(admin.keyUsage).toEqual([clientAuth]);
    const cm = cert(pki.controllerManagerClientCert);
    expect(cm.subject).toContain('CN=system:kube-controller-manager');
    expect(cm.subject).not.toContain('system:masters');
    expect(cm.keyUsage).toEqual([clientAuth]);
  });

  it('gives the node its identities: the Node authorizer user, a serving pair on the node address, the node daemons', () => {
    const ca = cert(pki.caCert);
    const kubelet = cert(pki.node.kubeletClientCert);
    expect(kubelet.subject).toContain('O=system:nodes');
    expect(kubelet.subject).toContain('CN=system:node:node-a');
    expect(kubelet.keyUsage).toEqual([clientAuth]);
    const serving = cert(pki.node.kubeletServingCert);
    expect(serving.keyUsage).toEqual([serverAuth]);
    expect(serving.checkIP('10.244.0.1')).toBe('10.244.0.1');
    expect(serving.checkIP('127.0.0.1')).toBeUndefined();
    expect(cert(pki.apiserverCert).checkIP('10.244.0.1')).toBe('10.244.0.1');
    expect(cert(pki.node.schedulerClientCert).subject).toContain('CN=system:kube-scheduler');
    expect(cert(pki.node.proxyClientCert).subject).toContain('CN=system:kube-proxy');
    expect(cert(pki.node.proxyClientCert).subject).not.toContain('system:masters');
    for (const leaf of Object.values(pki.node).filter((f) => f.endsWith('.crt'))) {
      expect(cert(leaf).checkIssued(ca)).toBe(true);
    }
  });

  it('keeps private keys owner-only and pairs the service-account keys', () => {
    for (const key of [pki.caKey, pki.adminKey, pki.serviceAccountKey]) {
      expect(statSync(key).mode & 0o077).toBe(0);
    }
    expect(readFileSync(pki.serviceAccountPub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('writes a self-contained kubeconfig readable only by its owner', () => {
    const file = join(dir, 'admin.kubeconfig');
    writeKubeconfig(file, {
      server: 'https://127.0.0.1:6443',
      caCert: pki.caCert,
      clientCert: pki.adminCert,
      clientKey: pki.adminKey,
      user: 'admin',
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: Record<string, string> }[];
    };
    expect(doc.clusters[0]?.cluster.server).toBe('https://127.0.0.1:6443');
    const caData = Buffer.from(doc.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64');
    expect(caData.equals(readFileSync(pki.caCert))).toBe(true);
    expect(doc.users[0]?.user['client-key-data']).toBe(readFileSync(pki.adminKey).toString('base64'));
  });
});
