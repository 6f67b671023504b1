import type { Member, Page } from "$lib/api-types";
import { CHANNELS } from "$lib/format";
import { REPORTS, readReportFilters, reportQuery, type MatrixReport, type ReportFilters, type Reports, type ReportSlug } from "$lib/reports";
import { readJson, readProblem, throwPageError, type ApiProblem } from "$lib/server/api-errors";
import type { PageServerLoad } from "./$types";

type Event = Parameters<PageServerLoad>[0];

/**
 * Fetches all five reports with the same filters. A filter the API rejects (a date that does not exist, a period
 * that runs backwards or is too long) comes back as the problem to show beside the form instead of an error page.
 */
async function fetchReports(event: Event, query: string): Promise<{ reports: Reports } | { problem: ApiProblem }> {
  const responses = await Promise.all(REPORTS.map((report) => event.locals.api(`/v1/reports/${report.slug}${query ? `?${query}` : ""}`)));
  const failed = responses.find((response) => !response.ok);
  if (failed) {
    const problem = await readProblem(failed);
    await Promise.all(responses.filter((response) => response !== failed).map((response) => response.body?.cancel()));
    if (problem.status === 400 || problem.status === 422) return { problem };
    throwPageError(event, problem);
  }

  const bodies = await Promise.all(responses.map((response) => response.json()));
  const reports = Object.fromEntries(REPORTS.map((report, index) => [report.slug, bodies[index]])) as Record<ReportSlug, unknown>;
  return { reports: reports as unknown as Reports };
}

/**
 * Lists the service lines and channels to offer as filters: those with enquiries in the period, for the same
 * owner. While a service-line or channel filter is set, the matrix shown is narrowed by it, so the choices come
 * from a second, unnarrowed matrix.
 */
async function loadFilterChoices(event: Event, filters: ReportFilters, matrix: MatrixReport | null) {
  let source = matrix;
  if (filters.serviceLine || filters.channel) {
    const query = reportQuery({ from: filters.from, to: filters.to, owner: filters.owner });
    const response = await event.locals.api(`/v1/reports/service-line-by-channel${query ? `?${query}` : ""}`);
    source = response.ok ? ((await response.json()) as MatrixReport) : null;
  }

  const serviceLines = new Map<string, string>();
  for (const row of source?.rows ?? []) if (row.serviceLine) serviceLines.set(row.serviceLine, row.label);
  const channels = new Map<string, string>(CHANNELS.map((channel) => [channel, ""]));
  for (const channel of source?.channels ?? []) channels.set(channel.key, channel.label);
  return {
    serviceLines: [...serviceLines].map(([key, label]) => ({ key, label })).sort((a, b) => a.label.localeCompare(b.label, "en-GB")),
    channels: [...channels.keys()],
  };
}

export const load: PageServerLoad = async (event) => {
  const filters = readReportFilters(event.url);
  const query = reportQuery(filters);
  const [outcome, members] = await Promise.all([fetchReports(event, query), readJson<Page<Member>>(event, "/v1/members")]);
  const reports = "reports" in outcome ? outcome.reports : null;
  const choices = await loadFilterChoices(event, filters, reports?.["service-line-by-channel"] ?? null);

  return {
    filters,
    query,
    reports,
    problem: "problem" in outcome ? { message: outcome.problem.message, field: outcome.problem.field ?? null } : null,
    members: members.data.map((member) => ({ userId: member.userId, name: member.name })),
    ...choices,
  };
};
