import { isOriginAllowed } from "@plumbline/core";
import { findFormByKey } from "@plumbline/db";
import type { Context } from "hono";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Loads the form named in the path and checks the browser's Origin against the form's allowed origins. Requests
 * without an Origin header (servers, curl) pass, since CORS only binds browsers; the spam checks still apply.
 */
export async function loadFormForBrowser(c: Context<HonoEnv>) {
  c.header("Vary", "Origin");
  const key = c.req.param("formKey") ?? "";
  const found = key.length <= 100 ? await findFormByKey(c.get("services").db, key) : null;
  if (!found) throw new ApiError("not_found", `Form "${key.slice(0, 100)}" not found. Check the form key in the embed code.`);

  const origin = c.req.header("origin");
  if (origin !== undefined && !isOriginAllowed(origin, found.form.allowedOrigins)) {
    throw new ApiError("forbidden", `Origin ${origin.slice(0, 200)} is not allowed to use this form. Add it to the form's allowed origins.`);
  }
  return found;
}

/** Echoes an allowed Origin; other origins get no CORS headers at all. */
export function applyFormCors(c: Context<HonoEnv>, allowedOrigins: string[]): void {
  c.header("Vary", "Origin");
  const origin = c.req.header("origin");
  if (origin && isOriginAllowed(origin, allowedOrigins)) {
    c.header("Access-Control-Allow-Origin", origin);
  }
}

/** Answers a CORS preflight for a form's routes. */
export async function answerFormPreflight(c: Context<HonoEnv>): Promise<Response> {
  const { form } = await loadFormForBrowser(c);
  const origin = c.req.header("origin");
  if (!origin) throw new ApiError("invalid_request", "A preflight request needs an Origin header.");

  applyFormCors(c, form.allowedOrigins);
  c.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  c.header("Access-Control-Allow-Headers", "Content-Type, Accept");
  c.header("Access-Control-Max-Age", String(PREFLIGHT_MAX_AGE_SECONDS));
  return c.body(null, 204);
}
