import type { Contact, Member, Opportunity, Page, PipelineSummary } from "$lib/api-types";
import { CHANNELS, STAGES } from "$lib/format";
import { readJson, readOptionalJson } from "$lib/server/api-errors";
import type { PageServerLoad } from "./$types";

/** The API's largest page. Each column shows at most this many of its newest opportunities. */
const COLUMN_LIMIT = 100;

const FILTER_MAX_LENGTH = 100;

function readFilter(url: URL, name: string): string {
  return (url.searchParams.get(name) ?? "").trim().slice(0, FILTER_MAX_LENGTH);
}

export const load: PageServerLoad = async (event) => {
  const filters = {
    owner: readFilter(event.url, "owner"),
    serviceLine: readFilter(event.url, "serviceLine"),
    channel: readFilter(event.url, "channel"),
  };

  const channelQuery = filters.channel ? `&channel=${encodeURIComponent(filters.channel)}` : "";
  const summaryQuery = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== "")).toString();

  const [columns, members, contacts, summary] = await Promise.all([
    Promise.all(STAGES.map((stage) => readJson<Page<Opportunity>>(event, `/v1/opportunities?stage=${stage.key}&limit=${COLUMN_LIMIT}${channelQuery}`))),
    readJson<Page<Member>>(event, "/v1/members"),
    // NOTE: contacts come newest first, 100 at most, so an older opportunity's card may show its reference
    // without the contact's name. The opportunity page always has the name.
    readJson<Page<Contact>>(event, "/v1/contacts?limit=100"),
    readOptionalJson<PipelineSummary>(event, `/v1/opportunities/summary${summaryQuery ? `?${summaryQuery}` : ""}`),
  ]);

  const serviceLines = new Set<string>();
  for (const page of columns) for (const opportunity of page.data) if (opportunity.serviceLine) serviceLines.add(opportunity.serviceLine);

  // NOTE: the list route filters by stage and channel only, so owner and service line are applied to each
  // column's newest 100 here. The summary route (when the API has it) counts across every opportunity.
  const matches = (opportunity: Opportunity) =>
    (!filters.owner || (filters.owner === "unassigned" ? opportunity.ownerUserId === null : opportunity.ownerUserId === filters.owner)) &&
    (!filters.serviceLine || opportunity.serviceLine === filters.serviceLine);

  const contactNames = Object.fromEntries(contacts.data.map((contact) => [contact.id, contact.name ?? contact.email ?? contact.phone ?? ""]));

  return {
    filters,
    stages: STAGES.map((stage, index) => {
      const page = columns[index]!;
      const counted = summary?.stages.find((entry) => entry.stage === stage.key);
      const opportunities = page.data.filter(matches);
      return {
        key: stage.key,
        label: stage.label,
        opportunities,
        count: counted?.count ?? opportunities.length,
        // True when the column shows only the newest part of a longer list.
        more: Boolean(page.nextCursor) || (counted ? counted.count > opportunities.length : false),
        valueMinor: counted?.valueMinor ?? opportunities.reduce((total, opportunity) => total + (opportunity.value?.amountMinor ?? 0), 0),
      };
    }),
    currency: summary?.currency ?? "GBP",
    members: members.data,
    contactNames,
    serviceLines: [...serviceLines].sort((a, b) => a.localeCompare(b, "en-GB")),
    channels: [...CHANNELS],
  };
};
