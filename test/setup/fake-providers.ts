import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

/**
 * Local stand-ins for outside services, speaking their documented HTTP contracts on 127.0.0.1. Behaviour is
 * chosen by the input, the way the providers' own test keys work, so tests need no shared state.
 */

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

/**
 * Turnstile siteverify. The secrets mirror Cloudflare's published test secrets: `1x…AA` passes, `2x…AA` fails,
 * `3x…AA` reports a spent token. `5x…` answers 503 and `tx…` never answers in time, to exercise outages.
 */
async function siteverify(request: IncomingMessage, response: ServerResponse) {
  const form = new URLSearchParams(await readBody(request));
  const secret = form.get("secret") ?? "";
  const token = form.get("response") ?? "";

  if (secret.startsWith("5x")) return sendJson(response, 503, { success: false });
  if (secret.startsWith("tx")) return; // Left open: the caller's timeout must end the wait.
  if (!token) return sendJson(response, 200, { success: false, "error-codes": ["missing-input-response"] });
  if (secret.startsWith("1x")) {
    return sendJson(response, 200, { success: true, "error-codes": [], hostname: "localhost", challenge_ts: new Date().toISOString() });
  }
  if (secret.startsWith("3x")) return sendJson(response, 200, { success: false, "error-codes": ["timeout-or-duplicate"] });
  return sendJson(response, 200, { success: false, "error-codes": ["invalid-input-response"] });
}

export default async function setup(project: TestProject) {
  const server = createServer((request, response) => {
    if (request.method === "POST" && request.url === "/turnstile/v0/siteverify") {
      void siteverify(request, response);
      return;
    }
    sendJson(response, 404, { error: "no fake for this path" });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("fakeProvidersUrl", `http://127.0.0.1:${port}`);

  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
