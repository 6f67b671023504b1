import type { ListedOpportunity, Member, Page, PipelineSummary } from "$lib/api-types";
import { CHANNELS, STAGES } from "$lib/format";
import { readJson } from "$lib/server/api-errors";
import type { PageServerLoad } from "./$types";

/** The API's largest page. Each column shows at most this many of its newest matching opportunities. */
const COLUMN_LIMIT = 100;

/** Longest filter value the API accepts; it rejects a longer one with 400. */
const FILTER_MAX_LENGTH = 64;

/** The page's owner choice for opportunities without an owner; the API calls it `none`. */
const UNASSIGNED = "unassigned";

const STALLED_CHOICES = ["stalled", "moving"] as const;

function readFilter(url: URL, name: string): string {
  return (url.searchParams.get(name) ?? "").trim().slice(0, FILTER_MAX_LENGTH);
}

/** Turns the page's filters into the API's query parameters, which the list and summary routes share. */
function apiFilters(filters: { owner: string; serviceLine: string; channel: string; stalled: string }): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.owner) query.set("owner", filters.owner === UNASSIGNED ? "none" : filters.owner);
  if (filters.serviceLine) query.set("serviceLine", filters.serviceLine);
  if (filters.channel) query.set("channel", filters.channel);
  if (filters.stalled) query.set("stalled", String(filters.stalled === "stalled"));
  return query;
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

  const columnPath = (stage: string) => {
    const columnQuery = new URLSearchParams(query);
    columnQuery.set("stage", stage);
    columnQuery.set("limit", String(COLUMN_LIMIT));
    return `/v1/opportunities?${columnQuery}`;
  };

  const [columns, members, summary] = await Promise.all([
    Promise.all(STAGES.map((stage) => readJson<Page<ListedOpportunity>>(event, columnPath(stage.key)))),
    readJson<Page<Member>>(event, "/v1/members"),
    readJson<PipelineSummary>(event, `/v1/opportunities/summary${query.size > 0 ? `?${query}` : ""}`),
  ]);

  return {
    filters,
    stages: STAGES.map((stage, index) => {
      const opportunities = columns[index]!.data;
      const counted = summary.stages.find((entry) => entry.stage === stage.key);
      return {
        key: stage.key,
        label: stage.label,
        opportunities,
        count: counted?.count ?? opportunities.length,
        // True when the column shows only the newest part of a longer list.
        more: Boolean(columns[index]!.nextCursor),
        valueMinor: counted?.valueMinor ?? opportunities.reduce((total, opportunity) => total + (opportunity.value?.amountMinor ?? 0), 0),
      };
    }),
    currency: summary.currency,
    members: members.data,
    serviceLines: [...summary.serviceLines].sort((a, b) => a.localeCompare(b, "en-GB")),
    channels: [...CHANNELS],
  };
};
