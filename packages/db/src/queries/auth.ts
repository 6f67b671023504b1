import { and, asc, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../client";
import {
  agencies,
  agencyMemberships,
  firms,
  forms,
  invitations,
  memberships,
  platformEmails,
  sessions,
  signInTokens,
  users,
  type AgencyRole,
  type FirmRole,
} from "../schema";

export type User = typeof users.$inferSelect;
export type SignInToken = typeof signInTokens.$inferSelect;
export type Invitation = typeof invitations.$inferSelect;
export type PlatformEmail = typeof platformEmails.$inferSelect;

export async function findUserByEmail(db: Database, email: string): Promise<User | null> {
  return (await db.select().from(users).where(eq(users.email, email)).get()) ?? null;
}

export async function insertSignInToken(db: Database, token: typeof signInTokens.$inferInsert): Promise<void> {
  await db.insert(signInTokens).values(token);
}

/**
 * Marks a sign-in token used and returns it, or null when it is unknown, used or expired. One conditional UPDATE
 * is the whole check, so of two requests racing with the same token exactly one gets the row.
 */
export async function consumeSignInToken(db: Database, tokenHash: string, now: Date): Promise<SignInToken | null> {
  const row = await db
    .update(signInTokens)
    .set({ usedAt: now })
    .where(and(eq(signInTokens.tokenHash, tokenHash), isNull(signInTokens.usedAt), gt(signInTokens.expiresAt, now)))
    .returning()
    .get();
  return row ?? null;
}

export async function insertSession(db: Database, session: { id: string; userId: string; createdAt: Date; expiresAt: Date }): Promise<void> {
  await db.insert(sessions).values({ ...session, lastSeenAt: session.createdAt });
}

/** Finds a session that is neither revoked nor expired, with its user; the user id must match the token's. */
export async function findActiveSession(db: Database, sessionId: string, userId: string, now: Date) {
  return (
    (await db
      .select({ session: sessions, user: { id: users.id, email: users.email, name: users.name } })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
      .get()) ?? null
  );
}

export async function touchSession(db: Database, sessionId: string, at: Date): Promise<void> {
  await db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, sessionId));
}

export async function revokeSession(db: Database, sessionId: string, at: Date): Promise<void> {
  await db.update(sessions).set({ revokedAt: at }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** A user's access to one firm: their own membership role, and their agency role if the firm's agency employs them. */
export interface FirmAccess {
  firmId: string;
  membershipRole: FirmRole | null;
  agencyRole: AgencyRole | null;
  agencyId: string | null;
}

/** Reads a user's way into a firm in one query; null when the firm does not exist. */
export async function findFirmAccess(db: Database, firmId: string, userId: string): Promise<FirmAccess | null> {
  const row = await db
    .select({
      firmId: firms.id,
      agencyId: firms.agencyId,
      membershipRole: memberships.role,
      agencyRole: agencyMemberships.role,
    })
    .from(firms)
    .leftJoin(memberships, and(eq(memberships.firmId, firms.id), eq(memberships.userId, userId)))
    .leftJoin(agencyMemberships, and(eq(agencyMemberships.agencyId, firms.agencyId), eq(agencyMemberships.userId, userId)))
    .where(eq(firms.id, firmId))
    .get();
  return row ?? null;
}

/** Lists the firms a user belongs to directly, by name. */
export async function listMemberFirms(db: Database, userId: string) {
  return db
    .select({ id: firms.id, name: firms.name, slug: firms.slug, agencyId: firms.agencyId, role: memberships.role })
    .from(memberships)
    .innerJoin(firms, eq(firms.id, memberships.firmId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(firms.name));
}

/** Lists the firms a user reaches through their agencies, by name, with the agency role. */
export async function listAgencyFirms(db: Database, userId: string) {
  return db
    .select({ id: firms.id, name: firms.name, slug: firms.slug, agencyId: agencyMemberships.agencyId, agencyRole: agencyMemberships.role })
    .from(agencyMemberships)
    .innerJoin(firms, eq(firms.agencyId, agencyMemberships.agencyId))
    .where(eq(agencyMemberships.userId, userId))
    .orderBy(asc(firms.name));
}

export async function listUserAgencies(db: Database, userId: string) {
  return db
    .select({ id: agencies.id, name: agencies.name, role: agencyMemberships.role })
    .from(agencyMemberships)
    .innerJoin(agencies, eq(agencies.id, agencyMemberships.agencyId))
    .where(eq(agencyMemberships.userId, userId))
    .orderBy(asc(agencies.name));
}

export async function findAgencyRole(db: Database, agencyId: string, userId: string): Promise<AgencyRole | null> {
  const row = await db
    .select({ role: agencyMemberships.role })
    .from(agencyMemberships)
    .where(and(eq(agencyMemberships.agencyId, agencyId), eq(agencyMemberships.userId, userId)))
    .get();
  return row?.role ?? null;
}

/** Stores an invitation and the one-time token of its link together, so neither exists without the other. */
export async function createInvitation(db: Database, invitation: typeof invitations.$inferInsert, token: typeof signInTokens.$inferInsert): Promise<void> {
  await db.batch([db.insert(invitations).values(invitation), db.insert(signInTokens).values(token)]);
}

export async function listInvitations(db: Database, firmId: string): Promise<Invitation[]> {
  return db.select().from(invitations).where(eq(invitations.firmId, firmId)).orderBy(desc(invitations.createdAt)).limit(200);
}

export async function findInvitation(db: Database, firmId: string, invitationId: string): Promise<Invitation | null> {
  return (await db.select().from(invitations).where(and(eq(invitations.firmId, firmId), eq(invitations.id, invitationId))).get()) ?? null;
}

/**
 * Revokes an open invitation and spends its link's token in one batch. Returns false when it was already accepted
 * or revoked. Because accepting first spends the token, a revocation and an acceptance cannot both succeed.
 */
export async function revokeInvitation(db: Database, firmId: string, invitationId: string, now: Date): Promise<boolean> {
  const [revoked] = await db.batch([
    db
      .update(invitations)
      .set({ revokedAt: now })
      .where(and(eq(invitations.firmId, firmId), eq(invitations.id, invitationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning({ id: invitations.id }),
    db
      .update(signInTokens)
      .set({ usedAt: now })
      .where(and(eq(signInTokens.invitationId, invitationId), isNull(signInTokens.usedAt))),
  ]);
  return revoked.length > 0;
}

/**
 * Accepts an invitation whose token has just been spent: creates the user when the address has none, adds the
 * membership (an existing member keeps their role) and marks the invitation accepted, in one batch. Returns the user.
 */
export async function acceptInvitation(
  db: Database,
  invitation: Invitation,
  newUser: { id: string; name: string },
  now: Date,
): Promise<User | null> {
  const userIdByEmail = sql<string>`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${invitation.email})`;
  await db.batch([
    db.insert(users).values({ id: newUser.id, email: invitation.email, name: newUser.name, createdAt: now }).onConflictDoNothing({ target: users.email }),
    db
      .insert(memberships)
      .values({ firmId: invitation.firmId, userId: userIdByEmail, role: invitation.role, createdAt: now })
      .onConflictDoNothing({ target: [memberships.firmId, memberships.userId] }),
    db
      .update(invitations)
      .set({ acceptedAt: now, acceptedUserId: userIdByEmail })
      .where(and(eq(invitations.firmId, invitation.firmId), eq(invitations.id, invitation.id))),
  ]);
  return findUserByEmail(db, invitation.email);
}

export async function insertPlatformEmail(db: Database, email: typeof platformEmails.$inferInsert): Promise<void> {
  await db.insert(platformEmails).values(email);
}

/** Platform emails kept for the local outbox, newest first. */
export async function listLocalPlatformEmails(db: Database, limit: number): Promise<PlatformEmail[]> {
  return db.select().from(platformEmails).where(eq(platformEmails.provider, "local")).orderBy(desc(platformEmails.createdAt)).limit(limit);
}

/** Finds an invitation by id alone, for a spent invitation token, which names the invitation but not its firm. */
export async function findInvitationForToken(db: Database, invitationId: string): Promise<Invitation | null> {
  return (await db.select().from(invitations).where(eq(invitations.id, invitationId)).get()) ?? null;
}

/** Creates a firm with its first website form, in one batch. Throws on a duplicate slug (UNIQUE constraint). */
export async function createFirmWithForm(db: Database, firm: typeof firms.$inferInsert, form: typeof forms.$inferInsert): Promise<void> {
  await db.batch([db.insert(firms).values(firm), db.insert(forms).values(form)]);
}

export async function isSlugTaken(db: Database, slug: string): Promise<boolean> {
  return (await db.select({ id: firms.id }).from(firms).where(eq(firms.slug, slug)).get()) !== undefined;
}
