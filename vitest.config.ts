import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd with the real wrangler.toml bindings (D1, Queues) and the real migrations.
export default defineConfig(async () => {
  const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            APP_ENV: "test",
            TEST_MIGRATIONS: migrations,
            // Test-only values: 32 zero bytes and a fixed hash key.
            ENCRYPTION_KEY: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            CLIENT_HASH_KEY: "test-client-hash-key-0123456789",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      // Log lines of passing tests are noise; a failing test still prints its own.
      silent: "passed-only" as const,
      exclude: ["test/browser/**", "node_modules/**"],
      setupFiles: ["./test/setup/apply-migrations.ts"],
      globalSetup: ["./test/setup/fake-providers.ts"],
    },
  };
});
