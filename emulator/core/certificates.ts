/**
 * Certificates for the emulator: its own CA and server certificate for loopback, and one
 * certificate per product endpoint (the one a real product would present to the appliance).
 */
import { X509Certificate } from "node:crypto";
import { generate } from "selfsigned";

const YEAR_MS = 365 * 24 * 3600_000;

export interface ServerTls {
  key: string;
  cert: string;
  /** The CA that signed `cert`: what a client adds to its trusted certificates. */
  caPem: string;
  /** The CA's private key, to sign a certificate for another name. */
  caKey: string;
}

/**
 * Which certificate the emulator presents: its own (`trusted`, for loopback, signed by `caPem`),
 * a self-signed one no client trusts (`untrusted`), or one signed by its CA for another host
 * name only (`wrong-name`, a certificate of another server).
 */
export type PresentedCertificate = "trusted" | "untrusted" | "wrong-name";
export const PRESENTED_CERTIFICATES = ["trusted", "untrusted", "wrong-name"] as const;

/** An EC P-256 key signed with SHA-256, valid from an hour ago (clock skew) for a year. */
function keyAndValidity() {
  const now = Date.now();
  return {
    keyType: "ec",
    algorithm: "sha256",
    curve: "P-256",
    notBeforeDate: new Date(now - 3600_000),
    notAfterDate: new Date(now + YEAR_MS),
  } as const;
}

export async function createServerTls(): Promise<ServerTls> {
  const ca = await generate([{ name: "commonName", value: "pulumi-vcpp emulator CA" }], {
    ...keyAndValidity(),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: "commonName", value: "localhost" }], {
    ...keyAndValidity(),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
      { name: "extKeyUsage", serverAuth: true },
    ],
  });
  return { key: leaf.private, cert: leaf.cert, caPem: ca.cert, caKey: ca.private };
}

/** The key and certificate to present for `kind` (see `PresentedCertificate`). */
export async function presentedTls(kind: PresentedCertificate, tls: ServerTls): Promise<{ key: string; cert: string }> {
  if (kind === "trusted") return { key: tls.key, cert: tls.cert };
  const other = await generate([{ name: "commonName", value: "other.example.com" }], {
    ...keyAndValidity(),
    ...(kind === "wrong-name" ? { ca: { key: tls.caKey, cert: tls.caPem } } : {}),
    extensions: [
      { name: "subjectAltName", altNames: [{ type: 2, value: "other.example.com" }] },
      { name: "extKeyUsage", serverAuth: true },
    ],
  });
  return { key: other.private, cert: other.cert };
}

/** The certificate each product endpoint presents; the same for a host and port until rotated. */
export class CertificateStore {
  private readonly byEndpoint = new Map<string, Promise<string>>();

  pem(host: string, port: number): Promise<string> {
    const key = `${host.toLowerCase()}:${port}`;
    let pem = this.byEndpoint.get(key);
    if (!pem) {
      pem = generate([{ name: "commonName", value: host }], {
        keyType: "ec",
        algorithm: "sha256",
        curve: "P-256",
        notAfterDate: new Date(Date.now() + YEAR_MS),
      }).then((r) => r.cert);
      this.byEndpoint.set(key, pem);
    }
    return pem;
  }

  /** The product presents a new certificate from now on (a renewal). */
  rotate(host: string, port: number): Promise<string> {
    this.byEndpoint.delete(`${host.toLowerCase()}:${port}`);
    return this.pem(host, port);
  }

  /** The `certData` the appliance shows for a certificate waiting for acceptance. */
  describe(pem: string): Record<string, unknown> {
    const cert = new X509Certificate(pem);
    return {
      notAfter: Date.parse(cert.validTo),
      notBefore: Date.parse(cert.validFrom),
      subjectDN: cert.subject.replace(/\n/g, ", "),
      issuerDN: cert.issuer.replace(/\n/g, ", "),
      sn: cert.serialNumber,
      sigAlgName: "SHA256withECDSA",
      version: 3,
      fingerprint_sha256: cert.fingerprint256,
    };
  }
}
