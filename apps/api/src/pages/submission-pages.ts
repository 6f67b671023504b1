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

/** The page a plain HTML form lands on when its submission was rejected, with the reason and a way back. */
export function renderSubmissionErrorPage(message: string, referer: string | undefined): string {
  const back = safeBackLink(referer);
  return page(
    "Your enquiry was not sent",
    `<h1>Your enquiry was not sent</h1>
<p role="alert">${escapeHtml(message)}</p>
${back ? `<p><a href="${escapeHtml(back)}">Go back to the form</a> and try again.</p>` : "<p>Go back to the form and try again.</p>"}`,
  );
}

/** The hosted thank-you page for forms that have none of their own. */
export function renderThanksPage(firmName: string, reference: string | null): string {
  return page(
    "Thank you for your enquiry",
    `<h1>Thank you for your enquiry</h1>
<p>${escapeHtml(firmName)} has received your message and will be in touch soon.</p>
${reference ? `<p>Your reference is <strong>${escapeHtml(reference)}</strong>.</p>` : ""}`,
  );
}
