import type { Database } from "@plumbline/db";
import type { AppEnv } from "./env";
import type { Logger } from "./logger";
import type { Actor } from "./middleware/firm-access";
import type { SignedInUser } from "./middleware/session";

/** Per-request services, set up once by the first middleware. */
export interface Services {
  env: AppEnv;
  db: Database;
  logger: Logger;
  requestId: string;
}

export type HonoEnv = {
  Bindings: Record<string, unknown>;
  Variables: {
    services: Services;
    /** The firm the request acts on, set by requireFirm: the API key's firm or the X-Plumbline-Firm header's. */
    firmId: string;
    /** The person or API key acting on the firm, set by requireFirm, so the timeline records who made each change. */
    actor: Actor;
    /** The signed-in person, set by requireSession, and by requireFirm for a session token. */
    signedIn: SignedInUser;
  };
};
