// First-time setup: fresh values for every secret a deploy reads, one file per variable, readable by the owner only.
// Existing files are kept, so running it again never rotates anything by accident; to rotate the signing key,
// delete its file, run this again, and deploy: the deploy keeps the old public key published while tokens live.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Environment, environmentConfigs, secrets } from "@accounts/k8s";
import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateEncryptionKey, generateInternalToken } from "@accounts/shared/secrets";
import { secretInputNames } from "./secrets.ts";

export async function generateSecrets(
  environment: Environment,
  dir: string,
  log: (line: string) => void,
): Promise<void> {
  const config = environmentConfigs[environment];
  const generators: Record<string, (() => Promise<string> | string) | undefined> = {
    [secrets.jwt.keys.signingKey]: async () => JSON.stringify((await generateSigningKey()).privateJwk),
    [secrets.internalToken.keys.token]: generateInternalToken,
    [secrets.mfaEncryption.keys.key]: generateEncryptionKey,
    [secrets.adminToken.keys.token]: generateInternalToken,
    [secrets.mongodbRoot.keys.username]: () => "root",
    [secrets.mongodbRoot.keys.password]: () => randomBytes(32).toString("base64url"),
  };
  // What only the operator can know: where the database and the mail provider are, and the credentials for them.
  const provided: Record<string, string | undefined> = {
    [secrets.mongodbUri.keys.uri]: "your MongoDB Atlas or DocumentDB connection string",
    [secrets.smtp.keys.url]: "your mail provider's SMTP URL, smtps://user:pass@host:465 or smtp://…:587",
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of secretInputNames({ ...config, imageTag: "unused" })) {
    const file = join(dir, name);
    const generate = generators[name];
    if (existsSync(file)) log(`  ${file}: kept`);
    else if (!generate) log(`  ${file}: not generated, write it yourself (${provided[name] ?? "its value"})`);
    else {
      // "wx": never overwrite, even if the file appeared since the check above.
      writeFileSync(file, `${await generate()}\n`, { mode: 0o600, flag: "wx" });
      log(`  ${file}: generated`);
    }
  }
  log(`deploy with --secrets-dir ${dir}, or store each file as a GitHub environment secret:`);
  log(
    `  for name in ${secretInputNames({ ...config, imageTag: "unused" }).join(" ")}; do gh secret set "$name" --env ${environment} < "${dir}/$name"; done`,
  );
}
