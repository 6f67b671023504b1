import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { defineConfig } from "vitest/config";

/** Asks the OS for a free port on loopback for the fake providers, which the global setup then listens on. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

// Tests run inside workerd with the real wrangler.toml bindings (D1, Queues) and the real migrations. Outside
// services point at the fakes that test/setup/fake-providers.ts serves on 127.0.0.1, including for the queue
// consumer, which the test runtime runs with these bindings.
export default defineConfig(async () => {
  // wrangler's local runtime otherwise fetches a Request.cf sample from Cloudflare at start-up.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);
  const fakePort = Number(process.env.PLUMBLINE_FAKE_PORT ?? (await freePort()));
  process.env.PLUMBLINE_FAKE_PORT = String(fakePort);
  const fakes = `http://127.0.0.1:${fakePort}`;

  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            APP_ENV: "test",
            TEST_MIGRATIONS: migrations,
            // The local demo seed, so a test can check that it applies twice and routes the demo firm's enquiries.
            DEMO_SEED_SQL: readFileSync(new URL("./scripts/seed/demo.sql", import.meta.url), "utf8"),
            // Test-only values: 32 zero bytes, a fixed hash key and a fixed session signing key.
            ENCRYPTION_KEY: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            CLIENT_HASH_KEY: "test-client-hash-key-0123456789",
            SESSION_SIGNING_KEY: "test-session-signing-key-0123456789abcdef",
            TURNSTILE_VERIFY_URL: `${fakes}/turnstile/v0/siteverify`,
            PROVIDER_BASE_URLS: JSON.stringify({
              postmark: `${fakes}/postmark`,
              resend: `${fakes}/resend`,
              sendgrid: `${fakes}/sendgrid`,
              mailgun: `${fakes}/mailgun`,
            }),
            CHAT_EXTRA_HOSTS: "127.0.0.1",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      // Log lines of passing tests are noise; a failing test still prints its own.
      silent: "passed-only" as const,
      // Follow-up tests wait for the real queue consumer, whose batches leave after up to a second.
      testTimeout: 20_000,
      exclude: ["test/browser/**", "node_modules/**"],
      setupFiles: ["./test/setup/apply-migrations.ts"],
      globalSetup: ["./test/setup/fake-providers.ts"],
    },
  };
});
