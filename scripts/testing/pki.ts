// @peculiar/x509 builds certificates on WebCrypto alone: no openssl binary (whose LibreSSL flavour on macOS
// takes other flags), nothing native, the same on every machine. Its dependency injection needs this polyfill.
import "reflect-metadata";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from "@peculiar/x509";

export interface TestPki {
  caPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  /** Signs service-account tokens. */
  serviceAccountKeyPem: string;
  /** Verifies them. */
  serviceAccountPublicKeyPem: string;
}

const keyAlgorithm = { name: "ECDSA", namedCurve: "P-256" } as const;
const signingAlgorithm = { name: "ECDSA", hash: "SHA-256" } as const;
const validity = 24 * 60 * 60 * 1000;

const generateKeys = () => crypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"]);

const privateKeyPem = async (key: CryptoKey) =>
  PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");

const randomSerial = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");

/** A private CA made for one run and a serving certificate it signs for 127.0.0.1 and localhost. */
export async function createTestPki(): Promise<TestPki> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + validity);
  const [caKeys, servingKeys, serviceAccountKeys] = await Promise.all([generateKeys(), generateKeys(), generateKeys()]);

  const ca = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=accounts test CA",
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm,
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serving = await X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: "CN=kube-apiserver",
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: servingKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
      new SubjectAlternativeNameExtension([
        { type: "ip", value: "127.0.0.1" },
        { type: "dns", value: "localhost" },
      ]),
      await AuthorityKeyIdentifierExtension.create(ca),
    ],
  });

  return {
    caPem: ca.toString("pem"),
    servingCertPem: serving.toString("pem"),
    servingKeyPem: await privateKeyPem(servingKeys.privateKey),
    serviceAccountKeyPem: await privateKeyPem(serviceAccountKeys.privateKey),
    serviceAccountPublicKeyPem: PemConverter.encode(
      await crypto.subtle.exportKey("spki", serviceAccountKeys.publicKey),
      "PUBLIC KEY",
    ),
  };
}
