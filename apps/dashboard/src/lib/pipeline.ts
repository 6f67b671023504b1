import type { Opportunity } from "./api-types";
import { stageLabel } from "./format";

/** Explains why an opportunity is flagged stalled, in words a partner can act on. */
export function describeStall(opportunity: Pick<Opportunity, "stage" | "stalledReason">, stallDays: Record<string, number> | undefined): string {
  const days = stallDays?.[opportunity.stage];
  if (opportunity.stalledReason === "stage_overdue") {
    const limit = days ? `${days} ${days === 1 ? "day" : "days"}` : "its stage's limit";
    return `No activity for more than ${limit} in ${stageLabel(opportunity.stage)}.`;
  }
  return opportunity.stalledReason ? `Stalled: ${opportunity.stalledReason.replace(/_/g, " ")}.` : "Stalled.";
}

/** Describes where an enquiry came from in one short phrase: the UTM source, or else the referring site. */
export function describeSource(opportunity: Pick<Opportunity, "source" | "origin">): string {
  if (opportunity.source.utmSource) {
    return [opportunity.source.utmSource, opportunity.source.utmMedium].filter(Boolean).join(" / ");
  }
  if (opportunity.source.referrer) {
    try {
      return new URL(opportunity.source.referrer).hostname;
    } catch {
      return opportunity.source.referrer;
    }
  }
  const origins: Record<string, string> = { web_form: "Website form", booking: "Booking", email: "Email", api: "API" };
  return origins[opportunity.origin] ?? opportunity.origin;
}
