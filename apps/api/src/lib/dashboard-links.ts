/**
 * Links into the dashboard for emails and chat messages that people open. Every person-facing link is built here,
 * so it follows the dashboard's routes, which put the firm in the path: `/firms/<firmId>/...`.
 */

/**
 * Joins a dashboard path to DASHBOARD_URL. A base with a path of its own (a dashboard served under `/crm/`) keeps
 * it, where `new URL("/x", base)` would drop it.
 */
export function dashboardUrl(dashboardBase: string, path: string): URL {
  const url = new URL(dashboardBase);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${path}`;
  url.search = "";
  url.hash = "";
  return url;
}

/** Returns the dashboard path of one of the firm's pages, such as `pipeline`, with the firm id escaped. */
export function firmPath(firmId: string, page: string): string {
  return `/firms/${encodeURIComponent(firmId)}/${page}`;
}

/** Builds the link to an opportunity's page in the dashboard: `${DASHBOARD_URL}/firms/<firmId>/opportunities/<id>`. */
export function opportunityUrl(dashboardBase: string, firmId: string, opportunityId: string): string {
  return dashboardUrl(dashboardBase, firmPath(firmId, `opportunities/${encodeURIComponent(opportunityId)}`)).toString();
}
