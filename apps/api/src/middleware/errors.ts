import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { HonoEnv } from "../context";
import { EnvError } from "../env";
import { ApiError } from "../errors";
import { createLogger } from "../logger";

/** Turns any thrown error into the one JSON error envelope. Unexpected errors are logged once, here. */
export function handleError(error: Error, c: Context<HonoEnv>): Response {
  const services = c.get("services") as HonoEnv["Variables"]["services"] | undefined;
  const requestId = services?.requestId ?? c.req.header("cf-ray") ?? crypto.randomUUID();
  const logger = services?.logger ?? createLogger({ requestId });

  let apiError: ApiError;
  if (error instanceof ApiError) {
    apiError = error;
  } else if (error instanceof EnvError) {
    logger.error("worker.misconfigured", error);
    apiError = new ApiError("misconfigured", error.message);
  } else if (error instanceof HTTPException) {
    apiError = new ApiError(error.status === 404 ? "not_found" : "invalid_request", error.message || "The request is invalid.");
  } else {
    logger.error("request.failed", error, { method: c.req.method, path: new URL(c.req.url).pathname });
    apiError = new ApiError("internal_error", "Something went wrong on our side. Try again in a minute, and quote the request id if it keeps failing.");
  }

  for (const [name, value] of Object.entries(apiError.options.headers ?? {})) c.header(name, value);
  c.header("X-Request-Id", requestId);
  return c.json(apiError.toBody(requestId), apiError.status);
}
