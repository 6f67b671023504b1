import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Applies the real migrations; already-applied ones are skipped, so this is safe in every test file.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
