import type { Attribution } from "../../../packages/core/src/attribution/touch";
import type { ENQUIRY_LIMITS } from "../../../packages/core/src/enquiry/limits";
import type { SubmissionAccepted, SubmissionBody } from "../../../packages/core/src/enquiry/wire";
import { h, uniqueId } from "./dom";

type ReservedFields = (typeof import("../../../packages/core/src/enquiry/wire"))["RESERVED_FORM_FIELDS"];

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string };
}

interface FormState {
  /**
   * Id of the current attempt. It changes after a success or a 4xx response, and stays for a retry after a network
   * error or a 5xx response, so that the server can tell a retry from a new enquiry.
   */
  submissionId: string;
  /** Live region of the form's messages. */
  region: HTMLElement;
  sending?: boolean;
  /** Undoes the marks of the last field error. Calling it again does nothing more. */
  clearFieldError: () => void;
}

type FormStatus = "sending" | "sent" | "error";

const SUBMISSION_ID_FIELD: ReservedFields["submissionId"] = "_pl_submission_id";
const ATTRIBUTION_FIELD: ReservedFields["attribution"] = "_pl_attribution";
const PAGE_URL_FIELD: ReservedFields["pageUrl"] = "_pl_page_url";
const TURNSTILE_FIELD: ReservedFields["turnstileToken"] = "cf-turnstile-response";
const URL_MAX: (typeof ENQUIRY_LIMITS)["url"] = 2048;

/**
 * Max body size in bytes for `keepalive` and `sendBeacon`. The Fetch standard fails a keepalive request, which a
 * beacon also is, once the page's keepalive bodies in flight would exceed 64 KiB in total. The margin leaves room
 * for a beacon that the site itself may have queued.
 */
const BEACON_MAX_BYTES = 60_000;

const DEFAULT_SUCCESS = "Thank you, your enquiry has been sent.";
const SENDING = "Sending your enquiry\u2026";
const NETWORK_FAILED = "Your enquiry could not be sent. Check your connection and try again.";
const NOT_SENT = "Your enquiry could not be sent. Please try again.";

const states = new WeakMap<HTMLFormElement, FormState>();
let api = "";
let attribution: Attribution = {};

/** Sets the API origin and the visitor's touches, which every submission from this page carries. */
export function configureSubmissions(apiOrigin: string, touches: Attribution): void {
  api = apiOrigin;
  attribution = touches;
}

function submissionsUrl(form: HTMLFormElement): string {
  return `${api}/v1/forms/${encodeURIComponent(form.dataset.plumbline || "")}/submissions`;
}

/**
 * Gives the form a new submission id. For a form whose action is the submissions URL, it also fills the hidden
 * inputs that carry the snippet's extras in a plain form post, which the browser sends when a page script submits
 * the form directly or ours fails.
 */
function startAttempt(form: HTMLFormElement, state: FormState): void {
  // Four random 32-bit numbers give 128 random bits. crypto.randomUUID is not used because it exists only in secure
  // contexts, and not every firm's site is served over HTTPS.
  state.submissionId = "pl-" + crypto.getRandomValues(new Uint32Array(4)).join("-");

  // The action property is the resolved URL. It is an element instead when the form has a field named "action".
  if (form.action != submissionsUrl(form)) return;
  const values: Record<string, string> = {
    [SUBMISSION_ID_FIELD]: state.submissionId,
    [ATTRIBUTION_FIELD]: JSON.stringify(attribution),
    [PAGE_URL_FIELD]: location.href.slice(0, URL_MAX),
  };
  for (const name in values) {
    const input =
      form.querySelector<HTMLInputElement>(`input[name="${name}"]`) ||
      form.appendChild(h("input", { type: "hidden", name }));
    input.value = values[name]!;
  }
}

/**
 * Prepares a form marked `data-plumbline` and returns its state. The live region for messages is created at the
 * end of the form now, because screen readers announce changes only in a region that was already on the page.
 */
export function enhanceForm(form: HTMLFormElement): FormState {
  let state = states.get(form);
  if (!state) {
    const attributes = { "data-plumbline-status": "", "aria-live": "polite", tabindex: "-1", style: "margin-top:1em" };
    state = { submissionId: "", region: form.appendChild(h("div", attributes)), clearFieldError() {} };
    states.set(form, state);
    startAttempt(form, state);
  }
  return state;
}

/**
 * Shows a message in the form's live region. The region stays `aria-live="polite"` for errors too, because every
 * error also moves focus, which makes screen readers read it out at once.
 */
function showStatus(form: HTMLFormElement, state: FormState, status: FormStatus, text: string): HTMLElement {
  const region = state.region;
  form.dataset.plumblineState = status;
  region.setAttribute("role", status == "error" ? "alert" : "status");
  region.textContent = text;
  return region;
}

function resetTurnstile(form: HTMLFormElement): void {
  const widget = form.querySelector(".cf-turnstile");
  const turnstile = (window as Window & { turnstile?: { reset(widget: Element): void } }).turnstile;
  // A Turnstile token is valid for one verification, so the next attempt needs a new one.
  // NOTE: resetting by container element has not been tried against the real Turnstile script.
  try {
    if (widget && turnstile) turnstile.reset(widget);
  } catch {}
}

function succeed(form: HTMLFormElement, state: FormState, reference?: string): void {
  const message = form.dataset.plumblineSuccess || DEFAULT_SUCCESS;
  form.reset();
  startAttempt(form, state);
  showStatus(form, state, "sent", reference ? `${message} Your reference is ${reference}.` : message).focus();
}

/** Shows an error and, when the server names a field of this form, marks that field and moves focus to it. */
function fail(form: HTMLFormElement, state: FormState, message: string, field?: string): void {
  const region = showStatus(form, state, "error", message);
  const control = field && form.querySelector<HTMLElement>(`[name="${CSS.escape(field)}"]`);
  if (!control) {
    region.focus();
    return;
  }

  const note = h("div", { id: uniqueId(), "data-plumbline-error": "" }, message);
  const describedBy = control.getAttribute("aria-describedby");
  control.after(note);
  control.setAttribute("aria-invalid", "true");
  control.setAttribute("aria-describedby", describedBy ? `${describedBy} ${note.id}` : note.id);
  state.clearFieldError = () => {
    note.remove();
    control.removeAttribute("aria-invalid");
    if (describedBy) control.setAttribute("aria-describedby", describedBy);
    else control.removeAttribute("aria-describedby");
  };
  control.focus();
}

async function send(form: HTMLFormElement, state: FormState): Promise<void> {
  const url = submissionsUrl(form);
  const fields: Record<string, string> = {};
  let turnstileToken: string | undefined;
  new FormData(form).forEach((value, name) => {
    if (typeof value != "string") return;
    if (name == TURNSTILE_FIELD) turnstileToken = value || undefined;
    // A multiple select or a group of checkboxes sharing a name sends one string with every chosen value.
    else if (!name.startsWith("_pl_")) fields[name] = name in fields ? `${fields[name]}, ${value}` : value;
  });

  const submission = {
    submissionId: state.submissionId,
    fields,
    attribution,
    pageUrl: location.href.slice(0, URL_MAX),
    turnstileToken,
  } satisfies SubmissionBody;
  const body = JSON.stringify(submission);
  const fitsBeacon = new TextEncoder().encode(body).length < BEACON_MAX_BYTES;

  let response: Response | undefined;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      keepalive: fitsBeacon,
    });
  } catch {}

  if (!response) {
    // A beacon is sent as text/plain without a CORS preflight, so it can get through when fetch could not, for
    // example while the API's CORS headers are misconfigured. The server treats it as the same attempt by its
    // submissionId. A queued beacon has no response to read, so it counts as sent. While the browser reports being
    // offline, a beacon cannot arrive either, so the visitor gets the error and can retry.
    if (fitsBeacon && navigator.onLine && navigator.sendBeacon(url, body)) {
      succeed(form, state);
    } else {
      fail(form, state, NETWORK_FAILED);
    }
    return;
  }

  const data: Partial<SubmissionAccepted> & ErrorBody = (await response.json().catch(() => null)) || {};
  resetTurnstile(form);
  if (response.ok) {
    succeed(form, state, data.reference);
    if (/^https?:\/\//i.test(data.redirectTo || "")) location.assign(data.redirectTo!);
    return;
  }

  // The API writes the message of an error that names a field for the visitor. Other messages, such as an origin
  // missing from the form's allowed origins, are for the site's developer, so they go to the console instead.
  const error = data.error || {};
  if (!error.field) {
    console.warn(`Plumbline: sending form "${form.dataset.plumbline}" failed`, data.error || response.status);
  }
  fail(form, state, (error.field && error.message) || NOT_SENT, error.field);

  // After a 4xx the server has stored nothing, so the corrected form is a new attempt. After a 5xx the enquiry may
  // have been stored, so a retry keeps the id and the server returns the stored reference for it.
  if (response.status < 500) startAttempt(form, state);
}

/** Sends a marked form with fetch in place of the browser's own submission. */
export async function handleSubmit(event: SubmitEvent): Promise<void> {
  const form = event.target;
  // A submission that a page script cancelled, for example after its own validation, stays cancelled.
  if (!(form instanceof HTMLFormElement) || !form.dataset.plumbline || event.defaultPrevented) return;
  event.preventDefault();

  const state = enhanceForm(form);
  if (state.sending) return;
  state.sending = true;

  // Buttons the page had already disabled stay disabled afterwards.
  const buttons = form.querySelectorAll<HTMLButtonElement | HTMLInputElement>(
    "button:not([type]):enabled,[type=submit]:enabled,[type=image]:enabled",
  );
  buttons.forEach((button) => (button.disabled = true));
  state.clearFieldError();
  showStatus(form, state, "sending", SENDING);

  try {
    await send(form, state);
  } catch {
    fail(form, state, NOT_SENT);
  } finally {
    state.sending = false;
    buttons.forEach((button) => (button.disabled = false));
  }
}
