import { escapeHtml, newId } from "@plumbline/core";
import { insertSignInToken, type Database, type SignInPurpose } from "@plumbline/db";
import { sha256Hex } from "../lib/crypto";
import { dashboardUrl } from "../lib/dashboard-links";

/** A sign-in link works for 15 minutes; an invitation's link for 7 days, since people do not read mail at once. */
export const SIGN_IN_LINK_LIFETIME_MS = 15 * 60 * 1000;
export const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** Makes a one-time token: 32 random bytes, base64url, so it fits a URL without escaping. */
export function newOneTimeToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Builds the dashboard URL that spends a token: `${DASHBOARD_URL}/auth/verify?token=…&next=…`. */
export function verifyUrl(dashboardBase: string, token: string, next: string | undefined): string {
  const url = dashboardUrl(dashboardBase, "/auth/verify");
  url.searchParams.set("token", token);
  if (next) url.searchParams.set("next", next);
  return url.toString();
}

/** Describes a token row to store; the token itself is returned to the caller and only its hash is kept. */
export async function newTokenRow(
  options: { purpose: SignInPurpose; email: string; userId: string | null; invitationId?: string; lifetimeMs: number },
  now: Date,
) {
  const token = newOneTimeToken();
  const row = {
    id: newId("sit", now.getTime()),
    tokenHash: await sha256Hex(token),
    purpose: options.purpose,
    userId: options.userId,
    email: options.email,
    invitationId: options.invitationId ?? null,
    expiresAt: new Date(now.getTime() + options.lifetimeMs),
    createdAt: now,
  };
  return { token, row };
}

/** Stores a sign-in token for a known user and returns the token for the email. */
export async function issueSignInToken(db: Database, user: { id: string; email: string }, now: Date): Promise<string> {
  const { token, row } = await newTokenRow({ purpose: "sign_in", email: user.email, userId: user.id, lifetimeMs: SIGN_IN_LINK_LIFETIME_MS }, now);
  await insertSignInToken(db, row);
  return token;
}

/** Writes the sign-in email: the link, how long it works, and what to do if the person did not ask for it. */
export function signInEmail(name: string, link: string) {
  const subject = "Your Plumbline sign-in link";
  const text = [
    `Hello ${name},`,
    "",
    "Use this link to sign in to Plumbline. It works once, within 15 minutes:",
    "",
    link,
    "",
    "If you did not ask to sign in, ignore this email: nobody can sign in without the link.",
  ].join("\n");
  const html = `<p>Hello ${escapeHtml(name)},</p><p>Use this link to sign in to Plumbline. It works once, within 15 minutes:</p><p><a href="${escapeHtml(link)}">Sign in to Plumbline</a></p><p>If you did not ask to sign in, ignore this email: nobody can sign in without the link.</p>`;
  return { subject, text, html };
}

/** Writes the invitation email for a firm. */
export function invitationEmail(firmName: string, inviterName: string | null, role: string, link: string) {
  const who = inviterName ? `${inviterName} has invited you` : "You have been invited";
  const subject = `Join ${firmName} on Plumbline`;
  const text = [
    `${who} to join ${firmName} on Plumbline as ${role}.`,
    "",
    "Use this link to accept and sign in. It works once, within 7 days:",
    "",
    link,
    "",
    "If you were not expecting this, ignore this email.",
  ].join("\n");
  const html = `<p>${escapeHtml(who)} to join ${escapeHtml(firmName)} on Plumbline as ${escapeHtml(role)}.</p><p>Use this link to accept and sign in. It works once, within 7 days:</p><p><a href="${escapeHtml(link)}">Accept the invitation</a></p><p>If you were not expecting this, ignore this email.</p>`;
  return { subject, text, html };
}
