import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { FAKES } from "../fakes/index";
import { readBody, sendJson, type RecordedRequest } from "../fakes/http";

/** Where `npm run demo:generate` writes the demo history that `npm start` loads. */
const DEMO_HISTORY_PATH = fileURLToPath(new URL("../../scripts/seed/demo-history.sql", import.meta.url));

/**
 * Local stand-ins for outside services, speaking their documented HTTP contracts on 127.0.0.1. Behaviour is
 * chosen by the input (a token, a path segment), the way the providers' own test keys work, so tests share no
 * state. Every request is recorded; `GET /__requests?path=<prefix>` returns the recorded ones whose path starts
 * with the prefix, so a test can check what was sent.
 */
export default async function setup(project: TestProject) {
  const recorded: RecordedRequest[] = [];
  // The simulation runs in workerd, which cannot write files, so it posts the demo history here instead.
  const writeDemoHistory = process.env.PLUMBLINE_WRITE_DEMO === "1";

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (request.method === "GET" && url.pathname === "/__requests") {
      const prefix = url.searchParams.get("path") ?? "/";
      return sendJson(response, 200, recorded.filter((entry) => entry.path.startsWith(prefix)));
    }
    if (writeDemoHistory && request.method === "POST" && url.pathname === "/__demo-history") {
      const sql = await readBody(request);
      writeFileSync(DEMO_HISTORY_PATH, sql);
      return sendJson(response, 200, { path: DEMO_HISTORY_PATH, bytes: Buffer.byteLength(sql) });
    }

    const entry: RecordedRequest = {
      method: request.method ?? "GET",
      path: url.pathname + url.search,
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
      body: await readBody(request),
      receivedAt: Date.now(),
    };
    recorded.push(entry);

    const fake = FAKES.find((candidate) => candidate.matches(entry.method, url.pathname));
    if (!fake) return sendJson(response, 404, { error: `no fake serves ${entry.method} ${url.pathname}` });
    await fake.handle(entry, response);
  });

  // vitest.config.ts chose the port, because the Worker's bindings name the fakes' URL before this runs.
  const wantedPort = Number(process.env.PLUMBLINE_FAKE_PORT ?? 0);
  await new Promise<void>((resolve) => server.listen(wantedPort, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("fakeProvidersUrl", `http://127.0.0.1:${port}`);
  project.provide("writeDemoHistory", writeDemoHistory);

  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
