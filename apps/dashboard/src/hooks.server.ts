import type { Handle } from "@sveltejs/kit";
import { withSecurityHeaders } from "$lib/server/security-headers";

export const handle: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  return withSecurityHeaders(response);
};
