// The admin command as the tests run it (under Node, like `bun run admin`), reaching the admin Service in the test's
// own namespace (ADMIN_TEST_NAMESPACE), where the suite applied the manifests: namespaces cannot be deleted in the
// test API server, so suites never share one.
import { main } from "../cli.ts";

const namespace = process.env.ADMIN_TEST_NAMESPACE;
if (!namespace) throw new Error("ADMIN_TEST_NAMESPACE is not set");

process.exitCode = await main(process.argv.slice(2), { env: process.env, log: (line) => console.log(line), namespace });
