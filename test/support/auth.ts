import { newId } from "@plumbline/core";
import { agencies, agencyMemberships, firms, memberships, platformEmails, sessions, users, type AgencyRole, type FirmRole } from "@plumbline/db";
import { env } from "cloudflare:workers";
import { and, desc, eq } from "drizzle-orm";
import { SESSION_LIFETIME_MS, signSessionToken } from "../../apps/api/src/auth/session-token";
import { callApi } from "./api";
import { testDatabase } from "./seed";

/** Makes an address no other test uses, so tests sharing the database never see each other's users. */
export function uniqueEmail(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}@people.example`;
}

/** Adds a user, and memberships with the given roles; returns the user id. */
export async function seedUser(name: string, roles: Record<string, FirmRole> = {}, email = uniqueEmail("user")): Promise<string> {
  const db = testDatabase();
  const id = newId("user");
  const now = new Date();
  await db.insert(users).values({ id, email, name, createdAt: now });
  for (const [firmId, role] of Object.entries(roles)) {
    await db.insert(memberships).values({ firmId, userId: id, role, createdAt: now });
  }
  return id;
}

/** Adds an agency that owns the given firms, and a person in it with `role`; returns both ids. */
export async function seedAgency(firmIds: string[], role: AgencyRole): Promise<{ agencyId: string; userId: string }> {
  const db = testDatabase();
  const agencyId = newId("agency");
  const now = new Date();
  await db.insert(agencies).values({ id: agencyId, name: `Agency ${agencyId.slice(-4)}`, createdAt: now });
  for (const firmId of firmIds) await db.update(firms).set({ agencyId }).where(eq(firms.id, firmId));
  const userId = await seedUser(`Agency ${role}`);
  await db.insert(agencyMemberships).values({ agencyId, userId, role, createdAt: now });
  return { agencyId, userId };
}

/** Starts a session for a user directly in the database and returns its token, for tests that are not about sign-in. */
export async function sessionFor(userId: string, options: { expiresAt?: Date } = {}): Promise<{ token: string; sessionId: string }> {
  const now = new Date();
  const sessionId = newId("ses");
  const expiresAt = options.expiresAt ?? new Date(now.getTime() + SESSION_LIFETIME_MS);
  await testDatabase().insert(sessions).values({ id: sessionId, userId, createdAt: now, expiresAt, lastSeenAt: now });
  return { token: await signSessionToken(env.SESSION_SIGNING_KEY, { userId, sessionId }, now, expiresAt), sessionId };
}

/** Calls the API as a signed-in person acting in `firmId` (no firm header when it is null). */
export function callAs(token: string, firmId: string | null, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  if (firmId !== null) headers.set("x-plumbline-firm", firmId);
  if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  return callApi(path, { ...init, headers });
}

export function requestSignInLink(email: string, next?: string): Promise<Response> {
  return callApi("/v1/auth/sign-in-links", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(next === undefined ? { email } : { email, next }),
  });
}

export function createSession(token: string): Promise<Response> {
  return callApi("/v1/auth/sessions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
}

/** Platform emails kept for the local outbox for one address, newest first. */
export async function platformEmailsTo(email: string) {
  return testDatabase()
    .select()
    .from(platformEmails)
    .where(and(eq(platformEmails.recipient, email), eq(platformEmails.provider, "local")))
    .orderBy(desc(platformEmails.createdAt));
}

/** Reads the one-time token out of the newest local email to an address. */
export async function latestTokenFor(email: string): Promise<string> {
  const [latest] = await platformEmailsTo(email);
  const text = String((latest?.data as { rendered?: { text?: string } } | undefined)?.rendered?.text ?? "");
  const match = /[?&]token=([A-Za-z0-9_-]{43})/.exec(text);
  if (!match) throw new Error(`No sign-in link in the local outbox for ${email}`);
  return match[1]!;
}
