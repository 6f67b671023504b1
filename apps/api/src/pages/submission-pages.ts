import type { ApiError } from "../errors";
import { escapeHtml, page } from "./html";

/** Only http(s) pages are offered as "go back" links, so a crafted Referer cannot become a script link. */
function safeBackLink(referer: string | undefined): string | null {
  if (!referer) return null;
  try {
    const url = new URL(referer);
    return url.protocol === "http:" || url.protocol === "https:" ? url.toString() : null;
  } catch {
    return null;
  }
}

/**
 * The page a plain HTML form lands on when its submission was rejected. Problems with what the visitor typed
 * are shown as they are; a form that is set up wrongly (unknown key, origin not allowed) gets a plain message for
 * the visitor, with the technical reason below for the site's maintainer.
 */
export function renderSubmissionErrorPage(error: ApiError, referer: string | undefined): string {
  const back = safeBackLink(referer);
  const setupProblem = error.code === "not_found" || error.code === "forbidden";
  const message = setupProblem
    ? "This form cannot take enquiries at the moment. Please contact the firm by phone or email instead."
    : error.message;
  return page(
    "Your enquiry was not sent",
    `<h1>Your enquiry was not sent</h1>
<p role="alert">${escapeHtml(message)}</p>
${back ? `<p><a href="${escapeHtml(back)}">Go back to the form</a>${setupProblem ? "" : " and try again"}.</p>` : ""}
${setupProblem ? `<p class="meta">For the website's maintainer: ${escapeHtml(error.message)}</p>` : ""}`,
  );
}

/** Renders the hosted thank-you page for forms that have none of their own. */
export function renderThanksPage(firmName: string, reference: string | null): string {
  return page(
    "Thank you for your enquiry",
    `<h1>Thank you for your enquiry</h1>
<p>${escapeHtml(firmName)} has received your message and will be in touch soon.</p>
${reference ? `<p>Your reference is <strong>${escapeHtml(reference)}</strong>.</p>` : ""}`,
  );
}
