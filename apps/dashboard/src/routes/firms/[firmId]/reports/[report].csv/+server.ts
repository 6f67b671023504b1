import { error } from "@sveltejs/kit";
import { isReportSlug, readReportFilters, reportQuery } from "$lib/reports";
import { readProblem, throwPageError } from "$lib/server/api-errors";
import { requireSession } from "$lib/server/firms";
import type { RequestHandler } from "./$types";

/**
 * Streams a report's CSV from the API as a download. Going through the dashboard lets the browser use its
 * session cookie and keeps the API's address out of the page. The API checks that the person can see the firm,
 * so another firm's report is a 404 here too.
 */
export const GET: RequestHandler = async (event) => {
  requireSession(event);
  if (!isReportSlug(event.params.report)) error(404, { message: "Not found.", code: "not_found" });

  const query = reportQuery(readReportFilters(event.url));
  const response = await event.locals.api(`/v1/reports/${event.params.report}?${query ? `${query}&` : ""}format=csv`);
  if (!response.ok) throwPageError(event, await readProblem(response));

  const headers = new Headers({
    "Content-Type": response.headers.get("content-type") ?? "text/csv; charset=utf-8",
    "Content-Disposition": response.headers.get("content-disposition") ?? `attachment; filename="${event.params.report}.csv"`,
    // A report is the firm's private data, so no shared cache may keep it.
    "Cache-Control": "private, no-store",
  });
  return new Response(response.body, { status: 200, headers });
};
