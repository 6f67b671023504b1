import { defineConfig } from "drizzle-kit";

// Migrations are generated from the drizzle schema (`npm run db:generate`) and applied by wrangler.
export default defineConfig({
  dialect: "sqlite",
  schema: "./packages/db/src/schema.ts",
  out: "./migrations",
});
