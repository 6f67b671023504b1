import type { Activity, Contact, Opportunity, OpportunityWithContact } from "@plumbline/db";

const iso = (value: Date | null) => (value ? value.toISOString() : null);

/** API shape of a contact: the firm id and internal keys stay out. */
export function presentContact(contact: Contact) {
  return {
    id: contact.id,
    name: contact.name,
    email: contact.email,
    phone: contact.phone,
    phoneE164: contact.phoneE164,
    company: contact.company,
    createdAt: iso(contact.createdAt),
    updatedAt: iso(contact.updatedAt),
  };
}

export function presentOpportunity(opportunity: Opportunity) {
  return {
    id: opportunity.id,
    reference: opportunity.reference,
    contactId: opportunity.contactId,
    stage: opportunity.stage,
    serviceLine: opportunity.serviceLine,
    ownerUserId: opportunity.ownerUserId,
    value: opportunity.valueMinor === null ? null : { amountMinor: opportunity.valueMinor, currency: opportunity.currency },
    origin: opportunity.origin,
    channel: opportunity.channel,
    lastTouchChannel: opportunity.lastTouchChannel,
    source: {
      utmSource: opportunity.utmSource,
      utmMedium: opportunity.utmMedium,
      utmCampaign: opportunity.utmCampaign,
      referrer: opportunity.referrer,
      landingPage: opportunity.landingPage,
    },
    attribution: opportunity.attribution,
    createdAt: iso(opportunity.createdAt),
    updatedAt: iso(opportunity.updatedAt),
    firstResponseAt: iso(opportunity.firstResponseAt),
    lastActivityAt: iso(opportunity.lastActivityAt),
    stalledAt: iso(opportunity.stalledAt),
    stalledReason: opportunity.stalledReason,
    closedAt: iso(opportunity.closedAt),
    closeReason: opportunity.closeReason,
  };
}

/** An opportunity in a list, with its contact so the row can name the person. */
export function presentListedOpportunity(row: OpportunityWithContact) {
  return { ...presentOpportunity(row), contact: presentContact(row.contact) };
}

export function presentActivity(activity: Activity) {
  return {
    id: activity.id,
    type: activity.type,
    cause: activity.cause,
    origin: activity.origin,
    actorUserId: activity.actorUserId,
    occurredAt: iso(activity.occurredAt),
    data: activity.data,
  };
}
