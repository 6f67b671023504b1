import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      DEMO_SEED_SQL: string;
      ENCRYPTION_KEY: string;
      CLIENT_HASH_KEY: string;
      SESSION_SIGNING_KEY: string;
    }
  }
}
