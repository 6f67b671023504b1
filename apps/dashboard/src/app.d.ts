import type { ApiFetch } from "$lib/server/api";
import type { Session } from "$lib/server/session";

declare global {
  namespace App {
    interface Error {
      message: string;
      /** The API's error code, such as `not_found`, when the error came from the API. */
      code?: string;
    }

    interface Locals {
      /** The signed-in person's session, read from the `pl_session` cookie; null when signed out. */
      session: Session | null;
      /** Calls the Plumbline API as the signed-in person, for the firm in the route's `[firmId]` parameter. */
      api: ApiFetch;
      /** The CSRF token every form of this session must send in its hidden `csrf` field; empty when signed out. */
      csrfToken: string;
    }

    interface Platform {
      env: {
        /** Service binding to the API Worker. When absent, the dashboard fetches API_ORIGIN instead. */
        API?: { fetch: typeof fetch };
        API_ORIGIN?: string;
        /** Key for the CSRF tokens' HMAC. Required outside local development. */
        CSRF_SECRET?: string;
      };
    }
  }
}

export {};
