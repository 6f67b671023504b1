import type { RoutingRule, TeamMember } from "@plumbline/core";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "../client";
import { integrations, memberships, routingRules, teamMembers, teams } from "../schema";

/** Loads the firm's routing rules in the order they are tried. */
export async function loadRoutingRules(db: Database, firmId: string): Promise<RoutingRule[]> {
  const rows = await db.select().from(routingRules).where(eq(routingRules.firmId, firmId)).orderBy(asc(routingRules.position));
  return rows.flatMap((row): RoutingRule[] => {
    if (row.targetUserId) return [{ serviceLine: row.serviceLine, target: { type: "user", userId: row.targetUserId } }];
    if (row.targetTeamId) return [{ serviceLine: row.serviceLine, target: { type: "team", teamId: row.targetTeamId } }];
    return [];
  });
}

/** A team's members in round-robin order, each marked away when their firm membership is away at `now`. */
export async function loadTeamMembers(db: Database, firmId: string, teamId: string, now: Date): Promise<TeamMember[]> {
  const rows = await db
    .select({ userId: teamMembers.userId, awayUntil: memberships.awayUntil })
    .from(teamMembers)
    .innerJoin(memberships, and(eq(memberships.firmId, teamMembers.firmId), eq(memberships.userId, teamMembers.userId)))
    .where(and(eq(teamMembers.firmId, firmId), eq(teamMembers.teamId, teamId)))
    .orderBy(asc(teamMembers.position));
  return rows.map((row) => ({ userId: row.userId, away: row.awayUntil !== null && row.awayUntil > now }));
}

/**
 * Advances a team's round-robin counter and returns the new value with the team's chat integration. One
 * UPDATE ... RETURNING is atomic in D1, so two enquiries at once get different turns.
 */
export async function takeTeamTurn(db: Database, firmId: string, teamId: string) {
  const row = await db
    .update(teams)
    .set({ roundRobinCounter: sql`${teams.roundRobinCounter} + 1` })
    .where(and(eq(teams.firmId, firmId), eq(teams.id, teamId)))
    .returning({ turn: teams.roundRobinCounter, chatIntegrationId: teams.chatIntegrationId })
    .get();
  return row ?? null;
}

/** Finds the firm's default integration of a kind, or null when it has none. */
export async function findDefaultIntegration(db: Database, firmId: string, kind: "mail" | "chat") {
  return (
    (await db
      .select()
      .from(integrations)
      .where(and(eq(integrations.firmId, firmId), eq(integrations.kind, kind), eq(integrations.isDefault, true)))
      .get()) ?? null
  );
}

export async function findIntegration(db: Database, firmId: string, id: string) {
  return (await db.select().from(integrations).where(and(eq(integrations.firmId, firmId), eq(integrations.id, id))).get()) ?? null;
}

export type Integration = typeof integrations.$inferSelect;
