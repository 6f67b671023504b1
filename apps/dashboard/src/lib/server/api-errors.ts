import { error, fail, redirect, type ActionFailure, type RequestEvent } from "@sveltejs/kit";
import { clearSessionCookie } from "./session";

/** The API's error envelope: `{ error: { code, message, field?, details? } }`. */
export interface ApiProblem {
  status: number;
  code: string;
  message: string;
  field?: string;
  /** Every invalid field with its message, when the API reported more than one. */
  issues?: Array<{ field: string; message: string }>;
}

/** Reads the error envelope, or describes the response when it is not one (a proxy's HTML page, say). */
export async function readProblem(response: Response): Promise<ApiProblem> {
  const fallback: ApiProblem = { status: response.status, code: "unknown", message: `The Plumbline API returned HTTP ${response.status}.` };
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown; field?: unknown; details?: { issues?: unknown } } };
    const envelope = body.error;
    if (!envelope || typeof envelope.message !== "string") return fallback;
    const issues = Array.isArray(envelope.details?.issues) ? (envelope.details.issues as ApiProblem["issues"]) : undefined;
    return {
      status: response.status,
      code: typeof envelope.code === "string" ? envelope.code : "unknown",
      message: envelope.message,
      ...(typeof envelope.field === "string" ? { field: envelope.field } : {}),
      ...(issues ? { issues } : {}),
    };
  } catch {
    return fallback;
  }
}

/** Sends a person whose session the API rejected back to sign-in, then to where they were. */
function toSignIn(event: Pick<RequestEvent, "cookies" | "url">): never {
  clearSessionCookie(event.cookies, event.url);
  const next = event.url.pathname + event.url.search;
  redirect(303, `/sign-in?next=${encodeURIComponent(next)}`);
}

/**
 * Turns an API failure into the page SvelteKit shows. A record or firm the person cannot see is a plain 404 that
 * does not hint whether it exists. A 5xx becomes 502, because the fault is upstream of the dashboard.
 */
export function throwPageError(event: Pick<RequestEvent, "cookies" | "url">, problem: ApiProblem): never {
  if (problem.status === 401) toSignIn(event);
  if (problem.status === 404) error(404, { message: "Not found.", code: "not_found" });
  if (problem.status >= 500) error(502, { message: "The Plumbline API failed to respond. Try again in a minute.", code: problem.code });
  error(problem.status, { message: problem.message, code: problem.code });
}

/** Calls a GET route and returns its JSON body, or throws the matching page error. */
export async function readJson<T>(event: Pick<RequestEvent, "cookies" | "url" | "locals">, path: string): Promise<T> {
  const response = await event.locals.api(path);
  if (!response.ok) throwPageError(event, await readProblem(response));
  return (await response.json()) as T;
}

/**
 * Like readJson, but returns null on any 404, for routes an older API lacks, on pages that work without them.
 * Only for firm-wide routes: the firm itself was checked by the layout, so a 404 here means "no such route",
 * even when the API words it as a missing record (`/v1/opportunities/summary` reads as opportunity "summary").
 */
export async function readOptionalJson<T>(event: Pick<RequestEvent, "cookies" | "url" | "locals">, path: string): Promise<T | null> {
  const response = await event.locals.api(path);
  if (response.ok) return (await response.json()) as T;
  const problem = await readProblem(response);
  if (problem.status === 404) return null;
  throwPageError(event, problem);
}

/** Failure data of a form action: the message, the field it concerns, and the values sent. */
export interface ActionProblem {
  /** Name of the form that failed, on pages with several forms. */
  form?: string;
  message: string;
  field?: string;
  fieldErrors: Record<string, string>;
  values?: Record<string, string>;
}

/**
 * Sends a change to the API for a form action and returns the JSON body on success. On a 4xx it returns a
 * `fail()` with the API's message and field, so the form can show the message next to that field. A 401, a 404
 * or a 5xx throws, as in a load.
 */
export async function sendChange<T = unknown>(
  event: Pick<RequestEvent, "cookies" | "url" | "locals">,
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body: unknown,
  context: { form?: string; values?: Record<string, string>; fieldNames?: Record<string, string> } = {},
): Promise<{ ok: true; data: T } | { ok: false; failure: ActionFailure<ActionProblem> }> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await event.locals.api(path, init);
  if (response.ok) {
    const data = response.status === 204 ? (null as T) : ((await response.json()) as T);
    return { ok: true, data };
  }

  const problem = await readProblem(response);
  if (problem.status === 401 || problem.status === 404 || problem.status >= 500) throwPageError(event, problem);

  // The API names fields by their JSON path; a form may call the same input something else.
  const rename = (field: string) => context.fieldNames?.[field] ?? field;
  const fieldErrors: Record<string, string> = {};
  for (const issue of problem.issues ?? []) fieldErrors[rename(issue.field)] ??= issue.message;
  if (problem.field) fieldErrors[rename(problem.field)] ??= problem.message;

  return {
    ok: false,
    failure: fail(problem.status, {
      ...(context.form ? { form: context.form } : {}),
      message: problem.message,
      ...(problem.field ? { field: rename(problem.field) } : {}),
      fieldErrors,
      ...(context.values ? { values: context.values } : {}),
    }),
  };
}
