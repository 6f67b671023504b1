/** A routing rule as the decision needs it: the firm's rules are tried in position order. */
export interface RoutingRule {
  /** Matches enquiries for this service line (case-insensitive); null matches every enquiry. */
  serviceLine: string | null;
  target: { type: "user"; userId: string } | { type: "team"; teamId: string };
}

export interface TeamMember {
  userId: string;
  /** Marked away (holiday, leave) at the time of routing. */
  away: boolean;
}

/** Returns the first rule whose service line matches, or null so the firm's fallback owner takes the enquiry. */
export function matchRoutingRule(rules: readonly RoutingRule[], serviceLine: string | null): RoutingRule | null {
  const wanted = serviceLine?.trim().toLowerCase() ?? null;
  return rules.find((rule) => rule.serviceLine === null || rule.serviceLine.trim().toLowerCase() === wanted) ?? null;
}

/**
 * Picks the team member whose turn it is. `turn` is the team's assignment counter after this assignment (1 for
 * the first), so the first enquiry goes to the first member. Members marked away are skipped and their turn
 * passes to the next one; when everyone is away, null.
 */
export function pickRoundRobin(members: readonly TeamMember[], turn: number): string | null {
  if (members.length === 0) return null;
  const start = (((turn - 1) % members.length) + members.length) % members.length;
  for (let offset = 0; offset < members.length; offset++) {
    const member = members[(start + offset) % members.length]!;
    if (!member.away) return member.userId;
  }
  return null;
}
