// The peer the bench compares us with: Better Auth, as a TypeScript team would set it up for email and password,
// on Bun with its MongoDB adapter. Its own defaults except where noted.
//   PORT=… MONGODB_URI=mongodb://…/better-auth BETTER_AUTH_SECRET=… bun bench/src/peer/server.ts
import { betterAuth } from "better-auth";
import { mongodbAdapter } from "better-auth/adapters/mongodb";
import { MongoClient } from "mongodb";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const port = Number(env("PORT"));
const client = new MongoClient(env("MONGODB_URI"));
await client.connect();

const auth = betterAuth({
  baseURL: `http://127.0.0.1:${port}`,
  secret: env("BETTER_AUTH_SECRET"),
  // No `client`: given one (as its docs show), the adapter wraps writes in transactions, which neither FerretDB 1.24
  // (sign-up then answers 422 FAILED_TO_CREATE_USER: `insert: unknown field "autocommit"`) nor a standalone mongod
  // (CI's mongo:7 service) supports; without it the adapter writes each document on its own.
  database: mongodbAdapter(client.db()),
  emailAndPassword: { enabled: true },
  // Off for the comparison: the load comes from one address and would be refused otherwise; ours has none yet.
  rateLimit: { enabled: false },
  // This machine reaches no telemetry endpoint.
  telemetry: { enabled: false },
});

const server = Bun.serve({ port, hostname: "127.0.0.1", fetch: (request) => auth.handler(request) });
console.log(`ready ${server.url}`);

process.on("SIGTERM", async () => {
  await server.stop();
  await client.close();
  process.exit(0);
});
