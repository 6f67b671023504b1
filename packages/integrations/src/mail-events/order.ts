import type { MailEvent, MailEventKind } from "./types";

/**
 * Rank of each kind in a message's status. Engagement moves the status up: a delivery, then an open, then a click.
 * A bounce outranks engagement, because bot opens and late delivery status notifications both come after a
 * delivery. The recipient's own unsubscribe or complaint outranks everything, because it decides whether the firm
 * may email them again.
 */
const STATUS_RANK: Record<Exclude<MailEventKind, "other">, number> = {
  deferred: 1,
  delivered: 2,
  opened: 3,
  clicked: 4,
  bounced_soft: 5,
  bounced_hard: 6,
  unsubscribed: 7,
  complained: 8,
};

/**
 * Decides whether an incoming event replaces a message's current status. A status only moves up STATUS_RANK, and
 * between events of equal rank the provider's later timestamp wins. So a late `delivered` never undoes a bounce, a
 * duplicate changes nothing, and the final status is the same in whatever order the webhooks arrive: the one that
 * applying every event in timestamp order under this rule would give. `other` events never change the status.
 *
 * `currentStatusAt` and `currentKind` are the provider timestamp and kind of the event that set the current
 * status, or null when no event has been applied yet.
 */
export function shouldApply(currentStatusAt: Date | null, currentKind: MailEventKind | null, incoming: Pick<MailEvent, "kind" | "occurredAt">): boolean {
  if (incoming.kind === "other") return false;
  if (currentKind === null || currentKind === "other" || currentStatusAt === null) return true;

  const incomingRank = STATUS_RANK[incoming.kind];
  const currentRank = STATUS_RANK[currentKind];
  if (incomingRank !== currentRank) return incomingRank > currentRank;

  return incoming.occurredAt.getTime() > currentStatusAt.getTime();
}
