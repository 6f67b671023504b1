import { sequence } from "@sveltejs/kit/hooks";
import { authenticate, csrfGuard, securityHeaders } from "$lib/server/hooks";

export const handle = sequence(securityHeaders, authenticate, csrfGuard);
