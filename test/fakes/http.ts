import type { IncomingMessage, ServerResponse } from "node:http";

/** One request a fake received, kept so tests can check what Plumbline sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

/** A fake outside service: claims the requests it serves and answers them per its provider's contract. */
export interface Fake {
  name: string;
  matches(method: string, path: string): boolean;
  handle(request: RecordedRequest, response: ServerResponse): void | Promise<void>;
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

export function sendText(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  response.writeHead(status, { "content-type": "text/plain", ...headers });
  response.end(body);
}
