import { createDatabase } from "@plumbline/db";
import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../context";
import { parseEnv } from "../env";
import { createLogger } from "../logger";

/**
 * Validates the env and builds the request's services bundle: database, logger tagged with the request id.
 * The request id is echoed in `X-Request-Id` and in every error body.
 */
export const services = createMiddleware<HonoEnv>(async (c, next) => {
  const env = parseEnv(c.env);
  const requestId = c.req.header("cf-ray") ?? crypto.randomUUID();
  c.set("services", {
    env,
    db: createDatabase(env.DB),
    logger: createLogger({ requestId }),
    requestId,
  });
  c.header("X-Request-Id", requestId);
  await next();
});
