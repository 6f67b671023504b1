import { redirect } from "@sveltejs/kit";
import type { RequestHandler } from "./$types";

/** Target of the firm switcher's GET form, so switching works without JavaScript. Access is checked on arrival. */
export const GET: RequestHandler = ({ url }) => {
  const firmId = url.searchParams.get("firm") ?? "";
  if (firmId === "" || firmId.length > 64) redirect(303, "/");
  redirect(303, `/firms/${encodeURIComponent(firmId)}/pipeline`);
};
