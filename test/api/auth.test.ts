import { memberships, signInTokens, sessions } from "@plumbline/db";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { SignJWT, base64url } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SIGN_IN_LINKS_PER_WINDOW } from "../../apps/api/src/routes/v1_auth";
import { sha256Hex } from "../../apps/api/src/lib/crypto";
import { callApi, errorOf } from "../support/api";
import {
  callAs,
  createSession,
  latestTokenFor,
  platformEmailsTo,
  requestSignInLink,
  seedAgency,
  seedUser,
  sessionFor,
  uniqueEmail,
} from "../support/auth";
import { seedTwoFirms, testDatabase } from "../support/seed";

type MeBody = {
  user: { id: string; email: string; name: string };
  firms: Array<{ id: string; name: string; role: string; via: string; agencyId: string | null }>;
  agencies: Array<{ id: string; role: string }>;
};

const signingKey = () => new TextEncoder().encode(env.SESSION_SIGNING_KEY);

async function knownUser(label: string) {
  const [firm, other] = await seedTwoFirms();
  const email = uniqueEmail(label);
  const userId = await seedUser("Eleanor Hartley", { [firm.firmId]: "partner" }, email);
  return { firm, other, email, userId };
}

/** Returns the /dev/outbox entry addressed to `email`, as HTML. */
async function outboxEntryFor(email: string): Promise<string | undefined> {
  const page = await callApi("/dev/outbox", {}, { APP_ENV: "development" });
  expect(page.status).toBe(200);
  return (await page.text()).split("<article>").find((entry) => entry.includes(`to ${email}`));
}

async function signIn(email: string): Promise<string> {
  await requestSignInLink(email);
  const response = await createSession(await latestTokenFor(email));
  return ((await response.json()) as { session: { token: string } }).session.token;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("sign-in through the local outbox", () => {
  it("link request is accepted", async () => {
    const { email } = await knownUser("accepted");
    const response = await requestSignInLink(email);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "sent" });
  });

  it("link appears on /dev/outbox", async () => {
    const { email } = await knownUser("outbox");
    await requestSignInLink(email, "/firms/firm_x/pipeline");

    const entry = await outboxEntryFor(email);
    expect(entry).toContain("Your Plumbline sign-in link");
    expect(entry).toMatch(/http:\/\/localhost:5173\/auth\/verify\?token=[A-Za-z0-9_-]{43}&amp;next=%2Ffirms%2Ffirm_x%2Fpipeline/);
  });

  it("outbox link signs the person in", async () => {
    const { email, userId, firm } = await knownUser("whole-flow");
    await requestSignInLink(email);
    const token = /token=([A-Za-z0-9_-]{43})/.exec((await outboxEntryFor(email)) ?? "")?.[1];
    expect(token).toBeDefined();

    const created = await createSession(token!);
    const body = (await created.json()) as { session: { token: string; expiresAt: string }; user: { id: string; email: string } };
    expect(created.status).toBe(201);
    expect(body.user).toMatchObject({ id: userId, email });
    const days = (Date.parse(body.session.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThanOrEqual(14);

    const me = await callAs(body.session.token, null, "/v1/me");
    expect(me.status).toBe(200);
    expect(((await me.json()) as MeBody).firms.map((entry) => entry.id)).toEqual([firm.firmId]);
  });

  it("only the token's hash is stored", async () => {
    const { email } = await knownUser("hash");
    await requestSignInLink(email);
    const token = await latestTokenFor(email);
    const rows = await testDatabase().select().from(signInTokens).where(eq(signInTokens.email, email));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(await sha256Hex(token));
    expect(JSON.stringify(rows[0])).not.toContain(token);
  });

  it("token never reaches the logs", async () => {
    const { email } = await knownUser("logs");
    const lines: string[] = [];
    for (const method of ["log", "warn", "error"] as const) {
      vi.spyOn(console, method).mockImplementation((...values: unknown[]) => lines.push(values.map(String).join(" ")));
    }
    await requestSignInLink(email);
    const token = await latestTokenFor(email);
    await createSession(token);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.includes(token))).toEqual([]);
    expect(lines.filter((line) => line.includes(email))).toEqual([]);
  });

  it("unknown address is accepted and sends nothing", async () => {
    const email = uniqueEmail("nobody");
    const response = await requestSignInLink(email);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "sent" });
    expect(await platformEmailsTo(email)).toEqual([]);
  });

  it("invalid address is 422", async () => {
    const response = await requestSignInLink("not an address");
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("email");
  });

  it.each(["//evil.example/x", "/\\evil.example", "https://evil.example/", "firms"])("next %s is rejected", async (next) => {
    const response = await requestSignInLink(uniqueEmail("next"), next);
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("next");
  });

  it("address is matched case-insensitively", async () => {
    const { email } = await knownUser("case");
    await requestSignInLink(email.toUpperCase());
    expect(await platformEmailsTo(email)).toHaveLength(1);
  });
});

describe("sign-in link rules", () => {
  it("token works once", async () => {
    const { email } = await knownUser("reuse");
    await requestSignInLink(email);
    const token = await latestTokenFor(email);

    expect((await createSession(token)).status).toBe(201);
    const again = await createSession(token);
    expect(again.status).toBe(400);
    const error = await errorOf(again);
    expect(error.code).toBe("invalid_sign_in_link");
    expect(error.field).toBe("token");
  });

  it("expired token is rejected", async () => {
    const { email } = await knownUser("expired");
    await requestSignInLink(email);
    const token = await latestTokenFor(email);
    await testDatabase()
      .update(signInTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(signInTokens.tokenHash, await sha256Hex(token)));

    const response = await createSession(token);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_sign_in_link");
  });

  it("link expires after 15 minutes", async () => {
    const { email } = await knownUser("lifetime");
    await requestSignInLink(email);
    const [row] = await testDatabase().select().from(signInTokens).where(eq(signInTokens.email, email));
    const minutes = (row!.expiresAt.getTime() - row!.createdAt.getTime()) / 60_000;
    expect(minutes).toBe(15);
  });

  it("unknown token is rejected", async () => {
    const response = await createSession("A".repeat(43));
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_sign_in_link");
  });

  it("malformed token is rejected", async () => {
    const response = await createSession("short");
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("token");
  });

  it("racing requests get one session", async () => {
    const { email, userId } = await knownUser("race");
    await requestSignInLink(email);
    const token = await latestTokenFor(email);

    const responses = await Promise.all(Array.from({ length: 5 }, () => createSession(token)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400]);
    expect(await testDatabase().select().from(sessions).where(eq(sessions.userId, userId))).toHaveLength(1);
  });

  it("rate limit answers 202 and sends no more", async () => {
    const { email } = await knownUser("limit");
    const statuses = [];
    for (let i = 0; i < SIGN_IN_LINKS_PER_WINDOW + 3; i++) statuses.push((await requestSignInLink(email)).status);
    expect(statuses.every((status) => status === 202)).toBe(true);
    expect(await platformEmailsTo(email)).toHaveLength(SIGN_IN_LINKS_PER_WINDOW);
  });

  it("rate limit is per address", async () => {
    const first = await knownUser("limit-a");
    const second = await knownUser("limit-b");
    for (let i = 0; i < SIGN_IN_LINKS_PER_WINDOW + 1; i++) await requestSignInLink(first.email);
    await requestSignInLink(second.email);
    expect(await platformEmailsTo(second.email)).toHaveLength(1);
  });
});

describe("sessions", () => {
  it("sign-out revokes at once", async () => {
    const { email } = await knownUser("sign-out");
    const token = await signIn(email);
    expect((await callAs(token, null, "/v1/me")).status).toBe(200);

    const signOut = await callAs(token, null, "/v1/auth/sessions/current", { method: "DELETE" });
    expect(signOut.status).toBe(204);
    const after = await callAs(token, null, "/v1/me");
    expect(after.status).toBe(401);
    expect((await errorOf(after)).code).toBe("unauthorized");
  });

  it("revoked session loses firm routes", async () => {
    const { firm, userId } = await knownUser("revoked-firm");
    const { token, sessionId } = await sessionFor(userId);
    expect((await callAs(token, firm.firmId, "/v1/opportunities")).status).toBe(200);

    await testDatabase().update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, sessionId));
    expect((await callAs(token, firm.firmId, "/v1/opportunities")).status).toBe(401);
  });

  it("expired session row is 401", async () => {
    const { userId } = await knownUser("expired-row");
    const { token, sessionId } = await sessionFor(userId);
    await testDatabase().update(sessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.id, sessionId));
    expect((await callAs(token, null, "/v1/me")).status).toBe(401);
  });

  it("expired JWT is 401", async () => {
    const { userId } = await knownUser("expired-jwt");
    const { sessionId } = await sessionFor(userId);
    const past = Math.floor(Date.now() / 1000) - 60;
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setIssuer("plumbline")
      .setIssuedAt(past - 60)
      .setExpirationTime(past)
      .sign(signingKey());
    expect((await callAs(token, null, "/v1/me")).status).toBe(401);
  });

  it("tampered JWT is 401", async () => {
    const { userId } = await knownUser("tampered");
    const other = await seedUser("Someone Else");
    const { token } = await sessionFor(userId);
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!))) as Record<string, unknown>;
    const forged = base64url.encode(JSON.stringify({ ...claims, sub: other }));
    expect((await callAs(`${header}.${forged}.${signature}`, null, "/v1/me")).status).toBe(401);
  });

  it("unsigned JWT is 401", async () => {
    const { userId } = await knownUser("alg-none");
    const { token } = await sessionFor(userId);
    const [, payload] = token.split(".");
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    expect((await callAs(`${header}.${payload}.`, null, "/v1/me")).status).toBe(401);
  });

  it("HS512 JWT is 401", async () => {
    const { userId } = await knownUser("alg-hs512");
    const { sessionId } = await sessionFor(userId);
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: "HS512" })
      .setSubject(userId)
      .setIssuer("plumbline")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(env.SESSION_SIGNING_KEY.repeat(2)));
    expect((await callAs(token, null, "/v1/me")).status).toBe(401);
  });

  it("JWT signed with another key is 401", async () => {
    const { userId } = await knownUser("other-key");
    const { sessionId } = await sessionFor(userId);
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setIssuer("plumbline")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("another-key-of-at-least-32-bytes-long!!"));
    expect((await callAs(token, null, "/v1/me")).status).toBe(401);
  });

  it("API key cannot call /v1/me", async () => {
    const { firm } = await knownUser("key-me");
    expect((await callAs(firm.apiKey, null, "/v1/me")).status).toBe(401);
  });
});

describe("GET /v1/me", () => {
  it("member sees their firms and roles", async () => {
    const [firm, other] = await seedTwoFirms();
    const userId = await seedUser("Member", { [firm.firmId]: "viewer" });
    const { token } = await sessionFor(userId);

    const body = (await (await callAs(token, null, "/v1/me")).json()) as MeBody;
    expect(body.user.id).toBe(userId);
    expect(body.firms).toEqual([{ id: firm.firmId, name: "Hartley & Moss", slug: expect.any(String), role: "viewer", via: "membership", agencyId: null }]);
    expect(body.firms.map((entry) => entry.id)).not.toContain(other.firmId);
    expect(body.agencies).toEqual([]);
  });

  it("agency staff see the agency's firms by name", async () => {
    const [firm, other] = await seedTwoFirms();
    const { agencyId, userId } = await seedAgency([other.firmId, firm.firmId], "staff");
    const { token } = await sessionFor(userId);

    const body = (await (await callAs(token, null, "/v1/me")).json()) as MeBody;
    expect(body.firms.map((entry) => entry.name)).toEqual(["Hartley & Moss", "Other Firm LLP"]);
    expect(body.firms.every((entry) => entry.role === "admin" && entry.via === "agency" && entry.agencyId === agencyId)).toBe(true);
    expect(body.agencies).toEqual([{ id: agencyId, name: expect.any(String), role: "staff" }]);
  });

  it("agency admin is owner in agency firms", async () => {
    const [firm] = await seedTwoFirms();
    const { userId } = await seedAgency([firm.firmId], "admin");
    const { token } = await sessionFor(userId);
    const body = (await (await callAs(token, null, "/v1/me")).json()) as MeBody;
    expect(body.firms.map((entry) => entry.role)).toEqual(["owner"]);
  });

  it("higher of membership and agency role wins", async () => {
    const [firm] = await seedTwoFirms();
    const { userId } = await seedAgency([firm.firmId], "staff");
    await testDatabase().insert(memberships).values({ firmId: firm.firmId, userId, role: "owner", createdAt: new Date() });
    const { token } = await sessionFor(userId);
    const body = (await (await callAs(token, null, "/v1/me")).json()) as MeBody;
    expect(body.firms).toHaveLength(1);
    expect(body.firms[0]).toMatchObject({ role: "owner", via: "membership" });
  });
});
