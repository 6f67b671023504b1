import { addWorkingMinutes, createWorkingCalendar, matchRoutingRule, pickRoundRobin } from "@plumbline/core";
import { findDefaultIntegration, loadRoutingRules, loadTeamMembers, takeTeamTurn, type Database, type FormFirm } from "@plumbline/db";
import type { Logger } from "../logger";

/** Owner of a new enquiry, the channel for its alert and the time its first reply is due. */
export interface FollowUpPlan {
  ownerUserId: string | null;
  /** Rule that chose the owner, for the timeline: `rule`, `team`, `fallback` or `none`. */
  routedBy: "rule" | "team" | "fallback" | "none";
  teamId: string | null;
  /** The chat integration for the partner alert; null sends it to the local outbox (or nowhere in production). */
  chatIntegrationId: string | null;
  /** When the "respond to enquiry" task falls due: the firm's response target counted in its working hours. */
  dueAt: Date;
}

/** Owner a new opportunity's routing picked, and how. */
export interface RoutedOwner {
  ownerUserId: string | null;
  routedBy: FollowUpPlan["routedBy"];
  teamId: string | null;
  /** The team's own chat integration when a team took the opportunity; null otherwise. */
  teamChatIntegrationId: string | null;
}

/** Plans an enquiry's follow-up: its owner (see routeOwner), the channel for its alert and when its reply is due. */
export async function planFollowUp(db: Database, logger: Logger, firm: FormFirm, serviceLine: string | null, now: Date): Promise<FollowUpPlan> {
  const routed = await routeOwner(db, logger, firm, serviceLine, now);
  const chatIntegrationId = routed.teamChatIntegrationId ?? (await findDefaultIntegration(db, firm.id, "chat"))?.id ?? null;
  return {
    ownerUserId: routed.ownerUserId,
    routedBy: routed.routedBy,
    teamId: routed.teamId,
    chatIntegrationId,
    dueAt: responseDueAt(firm, now, logger),
  };
}

/**
 * Picks the owner of a new opportunity. The first matching rule names a person or a team (round-robin, skipping
 * people marked away). Without a match, or when everyone in the team is away, the firm's fallback owner takes it.
 * Web enquiries and opportunities created by a booking both come through here, so they are owned the same way.
 */
export async function routeOwner(
  db: Database,
  logger: Logger,
  firm: Pick<FormFirm, "id" | "fallbackOwnerUserId">,
  serviceLine: string | null,
  now: Date,
): Promise<RoutedOwner> {
  const rule = matchRoutingRule(await loadRoutingRules(db, firm.id), serviceLine);

  let ownerUserId: string | null = null;
  let routedBy: FollowUpPlan["routedBy"] = "none";
  let teamId: string | null = null;
  let teamChatIntegrationId: string | null = null;

  if (rule?.target.type === "user") {
    ownerUserId = rule.target.userId;
    routedBy = "rule";
  } else if (rule?.target.type === "team") {
    teamId = rule.target.teamId;
    const turn = await takeTeamTurn(db, firm.id, teamId);
    if (turn) {
      teamChatIntegrationId = turn.chatIntegrationId;
      ownerUserId = pickRoundRobin(await loadTeamMembers(db, firm.id, teamId, now), turn.turn);
      if (ownerUserId) routedBy = "team";
    } else {
      logger.warn("routing.team_missing", { firmId: firm.id, teamId });
    }
  }

  if (!ownerUserId && firm.fallbackOwnerUserId) {
    ownerUserId = firm.fallbackOwnerUserId;
    routedBy = "fallback";
  }
  return { ownerUserId, routedBy, teamId, teamChatIntegrationId };
}

/**
 * Computes the instant the firm's response target runs out, counted in its working hours and time zone. A firm whose
 * calendar cannot be read (no working day at all) gets the target in clock time, so no enquiry goes without a
 * due date.
 */
function responseDueAt(firm: FormFirm, now: Date, logger: Logger): Date {
  try {
    const calendar = createWorkingCalendar({ timeZone: firm.timeZone, workingHours: firm.workingHours, closedDates: firm.closedDates });
    return addWorkingMinutes(now, firm.responseTargetMinutes, calendar);
  } catch (error) {
    logger.error("routing.calendar_invalid", error, { firmId: firm.id });
    return new Date(now.getTime() + firm.responseTargetMinutes * 60_000);
  }
}
