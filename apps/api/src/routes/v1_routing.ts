import { newId } from "@plumbline/core";
import {
  createTeam,
  findFirmTeamIds,
  findIntegration,
  findTeamByName,
  findTeamWithMembers,
  listRoutingRuleRows,
  listTeamsWithMembers,
  replaceRoutingRules,
  replaceTeamMembers,
  updateTeam,
  type RoutingRuleRow,
  type TeamWithMembers,
} from "@plumbline/db";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { requireFirm } from "../middleware/firm-access";
import { parseJsonBody, requireFirmMembers, strictObject, userIdSchema } from "./v1_settings";

/**
 * Rules are replaced in one D1 batch with one INSERT each, and D1 caps a Worker invocation at 1,000 queries on
 * the paid plan (50 on the free plan). 100 rules is far beyond what a firm's service lines need.
 */
const MAX_RULES = 100;
/** Bounds a team's batch of member INSERTs the same way. */
const MAX_TEAM_MEMBERS = 100;

const teamIdSchema = z.string({ error: "must be a team id" }).trim().min(1, { error: "must be a team id" }).max(64, { error: "must be a team id" });

const ruleSchema = strictObject({
  serviceLine: z
    .string({ error: "must be a service line, or null to match every enquiry" })
    .trim()
    .min(1, { error: "must be a service line, or null to match every enquiry" })
    .max(100, { error: "must be at most 100 characters" })
    .nullable(),
  userId: userIdSchema.nullable().optional(),
  teamId: teamIdSchema.nullable().optional(),
}).refine((rule) => Boolean(rule.userId) !== Boolean(rule.teamId), { error: "must name exactly one of userId or teamId" });

/** Body of `PUT /v1/routing/rules`: the complete list, tried in this order. */
const rulesSchema = strictObject({
  rules: z.array(ruleSchema, { error: "must be a list of rules" }).max(MAX_RULES, { error: `must have at most ${MAX_RULES} rules` }),
});

type RuleInput = z.infer<typeof ruleSchema>;

/** Control characters and line breaks, which have no place in a team's name. */
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;

const teamNameSchema = z
  .string({ error: "must be text" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(100, { error: "must be at most 100 characters" })
  .refine((name) => !CONTROL_CHARACTERS.test(name), { error: "must not contain line breaks or other control characters" });

const chatIntegrationIdSchema = z
  .string({ error: "must be a chat integration id, or null for the firm's default channel" })
  .max(64, { error: "must be a chat integration id, or null for the firm's default channel" })
  .nullable();

const memberListSchema = z
  .array(userIdSchema, { error: "must be a list of user ids" })
  .max(MAX_TEAM_MEMBERS, { error: `must have at most ${MAX_TEAM_MEMBERS} people` });

/** Body of `POST /v1/teams`. */
const createTeamSchema = strictObject({
  name: teamNameSchema,
  chatIntegrationId: chatIntegrationIdSchema.default(null),
  memberUserIds: memberListSchema.default([]),
});

/** Body of `PATCH /v1/teams/{id}`. */
const updateTeamSchema = strictObject({
  name: teamNameSchema.optional(),
  chatIntegrationId: chatIntegrationIdSchema.optional(),
});

/** Body of `PUT /v1/teams/{id}/members`: the people in round-robin order. */
const teamMembersSchema = strictObject({ userIds: memberListSchema });

function presentRule(rule: RoutingRuleRow) {
  return { id: rule.id, serviceLine: rule.serviceLine, userId: rule.targetUserId, teamId: rule.targetTeamId };
}

function presentTeam(team: TeamWithMembers, now: Date) {
  return {
    id: team.id,
    name: team.name,
    chatIntegrationId: team.chatIntegrationId,
    members: team.members.map((member) => ({
      userId: member.userId,
      name: member.name,
      awayUntil: member.awayUntil?.toISOString() ?? null,
      away: member.awayUntil !== null && member.awayUntil > now,
    })),
    createdAt: team.createdAt.toISOString(),
  };
}

/**
 * Rejects a rule that can never match, because an earlier rule takes every enquiry it would: one after a rule
 * for any service line, or a second rule for the same service line. Matching ignores case and surrounding
 * spaces, so the comparison does too.
 */
function rejectUnreachableRules(rules: readonly RuleInput[]) {
  const seen = new Map<string, number>();
  let catchAll: number | null = null;

  rules.forEach((rule, index) => {
    if (catchAll !== null) {
      throw new ApiError("validation_failed", `rules.${index} can never match, because rules.${catchAll} (service line null) takes every enquiry first. Move the rule for any service line to the end.`, {
        field: `rules.${index}`,
      });
    }
    if (rule.serviceLine === null) {
      catchAll = index;
      return;
    }

    const key = rule.serviceLine.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new ApiError("validation_failed", `rules.${index} repeats the service line "${rule.serviceLine}" of rules.${earlier}, so it can never match. Remove one of them.`, {
        field: `rules.${index}.serviceLine`,
      });
    }
    seen.set(key, index);
  });
}

/** Rejects with 422 unless every team a rule names is a team of this firm. */
async function requireFirmTeams(c: Context<HonoEnv>, references: ReadonlyArray<{ field: string; teamId: string }>) {
  if (references.length === 0) return;
  const found = await findFirmTeamIds(c.get("services").db, c.get("firmId"), references.map((reference) => reference.teamId));
  const missing = references.find((reference) => !found.has(reference.teamId));
  if (missing) throw new ApiError("validation_failed", `${missing.field} names team ${missing.teamId}, which is not a team of this firm.`, { field: missing.field });
}

/** Rejects a user listed twice: the round-robin order would be ambiguous, and the table keys members by user. */
function rejectRepeatedUsers(field: string, userIds: readonly string[]) {
  const index = userIds.findIndex((userId, position) => userIds.indexOf(userId) !== position);
  if (index >= 0) {
    throw new ApiError("validation_failed", `${field}.${index} lists user ${userIds[index]} a second time. List each person once.`, { field: `${field}.${index}` });
  }
}

async function requireChatIntegration(c: Context<HonoEnv>, chatIntegrationId: string | null | undefined) {
  if (!chatIntegrationId) return;
  const integration = await findIntegration(c.get("services").db, c.get("firmId"), chatIntegrationId);
  if (integration?.kind !== "chat") {
    throw new ApiError("validation_failed", `chatIntegrationId ${chatIntegrationId} is not a chat integration of this firm. Use an id from GET /v1/integrations, or null.`, {
      field: "chatIntegrationId",
    });
  }
}

/** Rejects a name another team of the firm already has, ignoring case. `teamId` is the team being renamed, if any. */
async function requireUniqueTeamName(c: Context<HonoEnv>, name: string, teamId: string | null) {
  const existing = await findTeamByName(c.get("services").db, c.get("firmId"), name);
  if (existing && existing.id !== teamId) {
    throw new ApiError("conflict", `The firm already has a team called "${existing.name}". Choose another name.`, { field: "name" });
  }
}

async function loadTeam(c: Context<HonoEnv>): Promise<TeamWithMembers> {
  const id = c.req.param("id") ?? "";
  // Another firm's team is not found, exactly like one that does not exist.
  const team = id.length <= 64 ? await findTeamWithMembers(c.get("services").db, c.get("firmId"), id) : null;
  if (!team) throw notFound(`Team ${id.slice(0, 64)}`);
  return team;
}

/**
 * Registers the routing configuration. `GET /v1/routing` returns the rules in the order they are tried and the
 * teams with their members. `PUT /v1/routing/rules` replaces every rule at once.
 *
 * `POST /v1/teams` creates a team, `PATCH /v1/teams/{id}` renames it or changes its chat channel, and
 * `PUT /v1/teams/{id}/members` sets its members in round-robin order.
 */
export function registerRoutingRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/routing", requireFirm("viewer"), async (c) => {
    const { db } = c.get("services");
    const firmId = c.get("firmId");
    const [rules, teams] = [await listRoutingRuleRows(db, firmId), await listTeamsWithMembers(db, firmId)];
    const now = new Date();
    return c.json({ rules: rules.map(presentRule), teams: teams.map((team) => presentTeam(team, now)) });
  });

  app.put("/v1/routing/rules", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const { rules } = await parseJsonBody(c, rulesSchema);

    // Every check runs before the single write, so a bad rule anywhere leaves the stored list as it was.
    rejectUnreachableRules(rules);
    await requireFirmMembers(
      c,
      rules.flatMap((rule, index) => (rule.userId ? [{ field: `rules.${index}.userId`, userId: rule.userId }] : [])),
    );
    await requireFirmTeams(
      c,
      rules.flatMap((rule, index) => (rule.teamId ? [{ field: `rules.${index}.teamId`, teamId: rule.teamId }] : [])),
    );

    const now = new Date();
    const rows = rules.map((rule) => ({
      id: newId("rule", now.getTime()),
      serviceLine: rule.serviceLine,
      targetUserId: rule.userId ?? null,
      targetTeamId: rule.teamId ?? null,
    }));
    await replaceRoutingRules(services.db, firmId, rows, now);
    services.logger.info("routing.rules_replaced", { firmId, rules: rows.length });

    return c.json({ rules: (await listRoutingRuleRows(services.db, firmId)).map(presentRule) });
  });

  app.post("/v1/teams", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const body = await parseJsonBody(c, createTeamSchema);

    rejectRepeatedUsers("memberUserIds", body.memberUserIds);
    await requireFirmMembers(c, body.memberUserIds.map((userId, index) => ({ field: `memberUserIds.${index}`, userId })));
    await requireChatIntegration(c, body.chatIntegrationId);
    await requireUniqueTeamName(c, body.name, null);

    const now = new Date();
    const id = newId("team", now.getTime());
    await createTeam(services.db, firmId, { id, name: body.name, chatIntegrationId: body.chatIntegrationId, memberUserIds: body.memberUserIds }, now);
    services.logger.info("team.created", { firmId, teamId: id, members: body.memberUserIds.length });

    const team = await findTeamWithMembers(services.db, firmId, id);
    return c.json(presentTeam(team!, now), 201);
  });

  app.patch("/v1/teams/:id", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const body = await parseJsonBody(c, updateTeamSchema);
    const team = await loadTeam(c);

    await requireChatIntegration(c, body.chatIntegrationId);
    if (body.name !== undefined) await requireUniqueTeamName(c, body.name, team.id);

    await updateTeam(services.db, firmId, team.id, body);
    services.logger.info("team.updated", { firmId, teamId: team.id, fields: Object.keys(body).join(",") });

    return c.json(presentTeam((await findTeamWithMembers(services.db, firmId, team.id))!, new Date()));
  });

  app.put("/v1/teams/:id/members", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const { userIds } = await parseJsonBody(c, teamMembersSchema);
    const team = await loadTeam(c);

    rejectRepeatedUsers("userIds", userIds);
    await requireFirmMembers(c, userIds.map((userId, index) => ({ field: `userIds.${index}`, userId })));

    await replaceTeamMembers(services.db, firmId, team.id, userIds);
    services.logger.info("team.members_replaced", { firmId, teamId: team.id, members: userIds.length });

    return c.json(presentTeam((await findTeamWithMembers(services.db, firmId, team.id))!, new Date()));
  });
}
