// Self-signed PKI for the test server, made with the openssl CLI (no npm crypto dependency):
// a CA that signs both the serving certificate (127.0.0.1/localhost) and a client certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  caPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Issues a client certificate (CN=user, O=group) signed by the given CA, like K3s' admin cert. */
export function issueClientCert(pki: Pick<TestPki, 'caPem' | 'caKeyPem'>, user: string, group = 'system:masters'): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-pki-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), pki.caPem);
    writeFileSync(join(dir, 'ca.key'), pki.caKeyPem);
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'c.key',
      '-subj', `/O=${group}/CN=${user}`, '-out', 'c.csr']);
    writeFileSync(join(dir, 'c.ext'), 'extendedKeyUsage=clientAuth\n');
    openssl(dir, ['x509', '-req', '-in', 'c.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-extfile', 'c.ext', '-out', 'c.crt']);
    return { certPem: readFileSync(join(dir, 'c.crt'), 'utf8'), keyPem: readFileSync(join(dir, 'c.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-pki-'));
  try {
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=homelab-test-k8s-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 's.key',
      '-subj', '/CN=kube-apiserver', '-out', 's.csr']);
    writeFileSync(join(dir, 's.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    openssl(dir, ['x509', '-req', '-in', 's.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-extfile', 's.ext', '-out', 's.crt']);
    const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const caKeyPem = readFileSync(join(dir, 'ca.key'), 'utf8');
    const client = issueClientCert({ caPem, caKeyPem }, 'homelab-admin');
    return {
      caPem, caKeyPem,
      serverCertPem: readFileSync(join(dir, 's.crt'), 'utf8'),
      serverKeyPem: readFileSync(join(dir, 's.key'), 'utf8'),
      clientCertPem: client.certPem, clientKeyPem: client.keyPem,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
