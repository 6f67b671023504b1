import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../client";
import { emailTemplates, firms, memberships, routingRules, teamMembers, teams, users, type FirmRole, type WorkingDay } from "../schema";

/**
 * D1 binds at most 100 parameters per statement. An `IN (...)` list leaves room for the firm id and is split
 * into chunks of this size.
 */
const IN_LIST_CHUNK = 90;

/** The firm columns that decide how enquiries are followed up. */
const followUpColumns = {
  timeZone: firms.timeZone,
  workingHours: firms.workingHours,
  closedDates: firms.closedDates,
  responseTargetMinutes: firms.responseTargetMinutes,
  reminderIntervalMinutes: firms.reminderIntervalMinutes,
  remindersBeforeEscalation: firms.remindersBeforeEscalation,
  fallbackOwnerUserId: firms.fallbackOwnerUserId,
  escalationUserId: firms.escalationUserId,
  senderEmail: firms.senderEmail,
  senderName: firms.senderName,
  defaultPhoneRegion: firms.defaultPhoneRegion,
  stallDays: firms.stallDays,
  closeAsLostDays: firms.closeAsLostDays,
  updatedAt: firms.updatedAt,
};

export interface FollowUpSettings {
  timeZone: string;
  workingHours: WorkingDay[];
  closedDates: string[];
  responseTargetMinutes: number;
  reminderIntervalMinutes: number;
  remindersBeforeEscalation: number;
  fallbackOwnerUserId: string | null;
  escalationUserId: string | null;
  senderEmail: string | null;
  senderName: string | null;
  defaultPhoneRegion: string;
  /** Days without activity before an opportunity counts as stalled, by stage; missing stages use the defaults. */
  stallDays: Record<string, number>;
  closeAsLostDays: number;
  updatedAt: Date;
}

export type FollowUpSettingsChanges = Partial<Omit<FollowUpSettings, "updatedAt">>;

export async function findFollowUpSettings(db: Database, firmId: string): Promise<FollowUpSettings | null> {
  return (await db.select(followUpColumns).from(firms).where(eq(firms.id, firmId)).get()) ?? null;
}

/** Writes the changed settings. Keys left out keep their stored value. */
export async function updateFollowUpSettings(db: Database, firmId: string, changes: FollowUpSettingsChanges, now: Date): Promise<void> {
  await db
    .update(firms)
    .set({ ...changes, updatedAt: now })
    .where(eq(firms.id, firmId));
}

/** Splits a list so each `IN (...)` stays within D1's bound-parameter limit. */
function chunks<T>(values: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < values.length; start += IN_LIST_CHUNK) result.push(values.slice(start, start + IN_LIST_CHUNK));
  return result;
}

/** Returns those of `userIds` that are members of the firm. A member of another firm only is left out. */
export async function findFirmMemberIds(db: Database, firmId: string, userIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks([...new Set(userIds)])) {
    const rows = await db
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.firmId, firmId), inArray(memberships.userId, chunk)));
    for (const row of rows) found.add(row.userId);
  }
  return found;
}

/** Returns those of `teamIds` that are teams of the firm. */
export async function findFirmTeamIds(db: Database, firmId: string, teamIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks([...new Set(teamIds)])) {
    const rows = await db
      .select({ id: teams.id })
      .from(teams)
      .where(and(eq(teams.firmId, firmId), inArray(teams.id, chunk)));
    for (const row of rows) found.add(row.id);
  }
  return found;
}

export interface FirmMember {
  userId: string;
  name: string;
  email: string;
  role: FirmRole;
  awayUntil: Date | null;
}

const memberColumns = {
  userId: memberships.userId,
  name: users.name,
  email: users.email,
  role: memberships.role,
  awayUntil: memberships.awayUntil,
};

/** Lists the firm's people by name. */
export async function listFirmMembers(db: Database, firmId: string): Promise<FirmMember[]> {
  return db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.firmId, firmId))
    .orderBy(asc(users.name), asc(memberships.userId));
}

export async function findFirmMember(db: Database, firmId: string, userId: string): Promise<FirmMember | null> {
  return (
    (await db
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.firmId, firmId), eq(memberships.userId, userId)))
      .get()) ?? null
  );
}

/** Marks a member away until an instant, or back when it is null. Returns false when the user is not a member. */
export async function setMemberAwayUntil(db: Database, firmId: string, userId: string, awayUntil: Date | null): Promise<boolean> {
  const updated = await db
    .update(memberships)
    .set({ awayUntil })
    .where(and(eq(memberships.firmId, firmId), eq(memberships.userId, userId)))
    .returning({ userId: memberships.userId });
  return updated.length > 0;
}

export type RoutingRuleRow = typeof routingRules.$inferSelect;

/** Lists the firm's routing rules as stored, in the order they are tried. */
export async function listRoutingRuleRows(db: Database, firmId: string): Promise<RoutingRuleRow[]> {
  return db.select().from(routingRules).where(eq(routingRules.firmId, firmId)).orderBy(asc(routingRules.position));
}

export interface NewRoutingRule {
  id: string;
  serviceLine: string | null;
  targetUserId: string | null;
  targetTeamId: string | null;
}

/**
 * Replaces the firm's routing rules with `rules`, tried in array order. The delete and the inserts go in one D1
 * batch, which runs as a single transaction, so routing never reads a half-written list. Each rule is its own
 * INSERT so that no statement comes near D1's 100 bound parameters.
 */
export async function replaceRoutingRules(db: Database, firmId: string, rules: readonly NewRoutingRule[], now: Date): Promise<void> {
  const statements: BatchItem<"sqlite">[] = [db.delete(routingRules).where(eq(routingRules.firmId, firmId))];
  rules.forEach((rule, index) => {
    statements.push(db.insert(routingRules).values({ ...rule, firmId, position: index + 1, createdAt: now }));
  });

  const [first, ...rest] = statements;
  await db.batch([first!, ...rest]);
}

export interface TeamWithMembers {
  id: string;
  name: string;
  chatIntegrationId: string | null;
  createdAt: Date;
  /** In round-robin order. People no longer members of the firm are left out, as routing leaves them out. */
  members: Array<{ userId: string; name: string; awayUntil: Date | null }>;
}

/** Loads the firm's teams by name, or only the one with `teamId`, each with its members in round-robin order. */
async function loadTeams(db: Database, firmId: string, teamId?: string): Promise<TeamWithMembers[]> {
  const teamFilter = teamId === undefined ? eq(teams.firmId, firmId) : and(eq(teams.firmId, firmId), eq(teams.id, teamId));
  const teamRows = await db.select().from(teams).where(teamFilter).orderBy(asc(teams.name), asc(teams.id));
  if (teamRows.length === 0) return [];

  const memberFilter = teamId === undefined ? eq(teamMembers.firmId, firmId) : and(eq(teamMembers.firmId, firmId), eq(teamMembers.teamId, teamId));
  const memberRows = await db
    .select({ teamId: teamMembers.teamId, userId: teamMembers.userId, name: users.name, awayUntil: memberships.awayUntil })
    .from(teamMembers)
    .innerJoin(memberships, and(eq(memberships.firmId, teamMembers.firmId), eq(memberships.userId, teamMembers.userId)))
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(memberFilter)
    .orderBy(asc(teamMembers.teamId), asc(teamMembers.position));

  return teamRows.map((team) => ({
    id: team.id,
    name: team.name,
    chatIntegrationId: team.chatIntegrationId,
    createdAt: team.createdAt,
    members: memberRows.filter((row) => row.teamId === team.id).map(({ userId, name, awayUntil }) => ({ userId, name, awayUntil })),
  }));
}

/** Lists the firm's teams by name, each with its members in round-robin order. */
export async function listTeamsWithMembers(db: Database, firmId: string): Promise<TeamWithMembers[]> {
  return loadTeams(db, firmId);
}

/** Finds one team of the firm with its members; another firm's team is null, like a missing one. */
export async function findTeamWithMembers(db: Database, firmId: string, teamId: string): Promise<TeamWithMembers | null> {
  const [team] = await loadTeams(db, firmId, teamId);
  return team ?? null;
}

/** Finds a team of the firm by name, ignoring case, so two teams cannot look the same in a list. */
export async function findTeamByName(db: Database, firmId: string, name: string) {
  return (
    (await db
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(and(eq(teams.firmId, firmId), sql`lower(${teams.name}) = lower(${name})`))
      .get()) ?? null
  );
}

function memberInserts(db: Database, firmId: string, teamId: string, userIds: readonly string[]) {
  return userIds.map((userId, index) => db.insert(teamMembers).values({ firmId, teamId, userId, position: index + 1 }));
}

/** Creates a team with its members in one D1 batch. */
export async function createTeam(
  db: Database,
  firmId: string,
  team: { id: string; name: string; chatIntegrationId: string | null; memberUserIds: readonly string[] },
  now: Date,
): Promise<void> {
  const insertTeam = db.insert(teams).values({ id: team.id, firmId, name: team.name, chatIntegrationId: team.chatIntegrationId, createdAt: now });
  await db.batch([insertTeam, ...memberInserts(db, firmId, team.id, team.memberUserIds)]);
}

export async function updateTeam(db: Database, firmId: string, teamId: string, changes: { name?: string; chatIntegrationId?: string | null }): Promise<void> {
  if (Object.keys(changes).length === 0) return;
  await db
    .update(teams)
    .set(changes)
    .where(and(eq(teams.firmId, firmId), eq(teams.id, teamId)));
}

/** Replaces a team's members with `userIds` in round-robin order, in one D1 batch. */
export async function replaceTeamMembers(db: Database, firmId: string, teamId: string, userIds: readonly string[]): Promise<void> {
  const clear = db.delete(teamMembers).where(and(eq(teamMembers.firmId, firmId), eq(teamMembers.teamId, teamId)));
  await db.batch([clear, ...memberInserts(db, firmId, teamId, userIds)]);
}

export type EmailTemplate = typeof emailTemplates.$inferSelect;

/** Stores the firm's own template of a kind, replacing any earlier one. */
export async function saveEmailTemplate(
  db: Database,
  firmId: string,
  kind: string,
  content: { subject: string; text: string; html: string },
  now: Date,
): Promise<EmailTemplate> {
  const row = { firmId, kind, ...content, updatedAt: now };
  await db
    .insert(emailTemplates)
    .values(row)
    .onConflictDoUpdate({ target: [emailTemplates.firmId, emailTemplates.kind], set: { ...content, updatedAt: now } });
  return row;
}

/** Removes the firm's own template of a kind, so the built-in one applies again. Returns whether one existed. */
export async function deleteEmailTemplate(db: Database, firmId: string, kind: string): Promise<boolean> {
  const deleted = await db
    .delete(emailTemplates)
    .where(and(eq(emailTemplates.firmId, firmId), eq(emailTemplates.kind, kind)))
    .returning({ kind: emailTemplates.kind });
  return deleted.length > 0;
}
