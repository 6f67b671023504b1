import type { ListedOpportunity, Member, Page, PipelineBoard } from "$lib/api-types";
import { CHANNELS, STAGES } from "$lib/format";
import { readJson } from "$lib/server/api-errors";
import type { PageServerLoad } from "./$types";

/**
 * Cards per column: the newest matching opportunities of each stage. The filters narrow every stage on the API, so
 * an older opportunity is found by filtering rather than by scrolling a longer column. At 100 per column the page
 * measured about three times slower (docs/benchmarks.md).
 */
const COLUMN_LIMIT = 25;

/** Maximum length of a filter value the API accepts. It rejects a longer one with 400. */
const FILTER_MAX_LENGTH = 64;

/** The page's owner choice for opportunities without an owner; the API calls it `none`. */
const UNASSIGNED = "unassigned";

const STALLED_CHOICES = ["stalled", "moving"] as const;

function readFilter(url: URL, name: string): string {
  return (url.searchParams.get(name) ?? "").trim().slice(0, FILTER_MAX_LENGTH);
}

/** Turns the page's filters into the API's query parameters. */
function apiFilters(filters: { owner: string; serviceLine: string; channel: string; stalled: string }): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.owner) query.set("owner", filters.owner === UNASSIGNED ? "none" : filters.owner);
  if (filters.serviceLine) query.set("serviceLine", filters.serviceLine);
  if (filters.channel) query.set("channel", filters.channel);
  if (filters.stalled) query.set("stalled", String(filters.stalled === "stalled"));
  return query;
}

/**
 * Keeps what a card shows. SvelteKit writes the load's data into the page for hydration, so the attribution and
 * the full contact of up to 800 cards would otherwise more than double the HTML.
 */
function toCard(opportunity: ListedOpportunity) {
  const { contact } = opportunity;
  return {
    id: opportunity.id,
    reference: opportunity.reference,
    stage: opportunity.stage,
    serviceLine: opportunity.serviceLine,
    ownerUserId: opportunity.ownerUserId,
    value: opportunity.value,
    origin: opportunity.origin,
    channel: opportunity.channel,
    source: opportunity.source,
    createdAt: opportunity.createdAt,
    lastActivityAt: opportunity.lastActivityAt,
    stalledAt: opportunity.stalledAt,
    stalledReason: opportunity.stalledReason,
    title: contact.name || contact.email || contact.phone || opportunity.reference,
  };
}

export const load: PageServerLoad = async (event) => {
  const stalled = readFilter(event.url, "stalled");
  const filters = {
    owner: readFilter(event.url, "owner"),
    serviceLine: readFilter(event.url, "serviceLine"),
    channel: readFilter(event.url, "channel"),
    stalled: (STALLED_CHOICES as readonly string[]).includes(stalled) ? stalled : "",
  };
  const query = apiFilters(filters);
  query.set("limit", String(COLUMN_LIMIT));

  // One call for every column and the counts: per-column calls each paid the API's authentication again.
  const [board, members] = await Promise.all([
    readJson<PipelineBoard>(event, `/v1/opportunities/board?${query}`),
    readJson<Page<Member>>(event, "/v1/members"),
  ]);

  return {
    filters,
    stages: STAGES.map((stage) => {
      const column = board.stages.find((entry) => entry.stage === stage.key);
      return {
        key: stage.key,
        label: stage.label,
        opportunities: (column?.opportunities ?? []).map(toCard),
        count: column?.count ?? 0,
        // True when the column shows only the newest part of a longer list.
        more: Boolean(column?.nextCursor),
        valueMinor: column?.valueMinor ?? 0,
      };
    }),
    currency: board.currency,
    members: members.data,
    serviceLines: [...board.serviceLines].sort((a, b) => a.localeCompare(b, "en-GB")),
    channels: [...CHANNELS],
  };
};
