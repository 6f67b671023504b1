// Runs every benchmark in this folder one after the other and prints each one's JSON line.
// Extra arguments go to each benchmark, such as `npm run bench -- --requests 5000`.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.env.BENCH;
const scripts = readdirSync(here)
  .filter((name) => name.endsWith(".mjs") && name !== "run.mjs")
  .filter((name) => !only || name.startsWith(only));

let failed = false;
for (const script of scripts) {
  const result = spawnSync(process.execPath, [join(here, script), ...process.argv.slice(2)], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
