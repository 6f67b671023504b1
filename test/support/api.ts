import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import worker from "../../apps/api/src/index";

export const API = "https://api.plumbline.test";

/** Builds the Worker's env with outside services pointed at the local fakes. */
export function testEnv(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...env,
    TURNSTILE_VERIFY_URL: `${inject("fakeProvidersUrl")}/turnstile/v0/siteverify`,
    ...overrides,
  };
}

/** Sends a request through the Worker's own fetch handler and waits for its background work. */
export async function callApi(path: string, init: RequestInit = {}, envOverrides: Record<string, unknown> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(new URL(path, API), init), testEnv(envOverrides), ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export function submitJson(formKey: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return callApi(`/v1/forms/${formKey}/submissions`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: "https://www.firm.example", ...headers },
    body: JSON.stringify(body),
  });
}

export function getWithKey(path: string, apiKey: string): Promise<Response> {
  return callApi(path, { headers: { authorization: `Bearer ${apiKey}` } });
}

/** Reads the error envelope of a failed response. */
export async function errorOf(response: Response): Promise<{ code: string; message: string; field?: string; requestId: string }> {
  const body = (await response.json()) as { error: { code: string; message: string; field?: string; requestId: string } };
  return body.error;
}

/** A request one of the local fakes received. */
export interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Returns the requests the local fakes received on paths starting with `pathPrefix`, oldest first. */
export async function fakeRequests(pathPrefix: string): Promise<FakeRequest[]> {
  const response = await fetch(`${inject("fakeProvidersUrl")}/__requests?path=${encodeURIComponent(pathPrefix)}`);
  return (await response.json()) as FakeRequest[];
}

/** Returns the base URL of the local fakes, for pointing an integration's base URL or webhook URL at them. */
export function fakeBaseUrl(): string {
  return inject("fakeProvidersUrl");
}
