// The browser tests and the benchmarks reuse the dashboard's last build when its inputs have not changed. These
// checks keep that cache from serving a stale build: any edit to a dashboard file, to the core package it imports,
// or to the lockfile must change the hash that decides.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, dashboardSourceHash } from "../../scripts/local-stack.mjs";

/** Returns the hash before and while a scratch file exists under `folder`, and removes the file. */
function hashesAroundScratchFile(folder) {
  const path = join(ROOT, folder, `build-cache-test-${process.pid}.txt`);
  const before = dashboardSourceHash();
  writeFileSync(path, "scratch\n");
  try {
    return { before, during: dashboardSourceHash() };
  } finally {
    rmSync(path, { force: true });
  }
}

describe("dashboard build cache", () => {
  it("hash is stable without edits", () => {
    assert.equal(dashboardSourceHash(), dashboardSourceHash());
  });

  for (const folder of ["apps/dashboard/src/lib", "apps/dashboard/static", "packages/core/src"]) {
    it(`new file in ${folder} changes the hash`, () => {
      const { before, during } = hashesAroundScratchFile(folder);
      assert.notEqual(during, before);
    });
  }

  it("build output does not change the hash", () => {
    const { before, during } = hashesAroundScratchFile("apps/dashboard/.svelte-kit");
    assert.equal(during, before);
  });

  it("VITE_ variables change the hash", () => {
    const before = dashboardSourceHash();
    process.env.VITE_BUILD_CACHE_TEST = "1";
    try {
      assert.notEqual(dashboardSourceHash(), before);
    } finally {
      delete process.env.VITE_BUILD_CACHE_TEST;
    }
  });
});
