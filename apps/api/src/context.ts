import type { Database } from "@plumbline/db";
import type { AppEnv } from "./env";
import type { Logger } from "./logger";

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
    /** The firm an API key belongs to, set by requireApiKey. */
    firmId: string;
    /** The API key that authenticated the request, for the timeline's record of who acted. */
    apiKeyId: string;
  };
};
