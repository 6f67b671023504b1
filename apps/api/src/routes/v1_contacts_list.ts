import { listContacts } from "@plumbline/db";
import type { Hono } from "hono";
import type { HonoEnv } from "../context";
import { requireFirm } from "../middleware/firm-access";
import { presentContact } from "./presenters";
import { listQuerySchema, parseQuery } from "./list-query";

/** `GET /v1/contacts`: the firm's contacts, newest first, paginated by cursor. */
export function registerListContacts(app: Hono<HonoEnv>) {
  app.get("/v1/contacts", requireFirm("viewer"), async (c) => {
    const query = parseQuery(listQuerySchema, c.req.query());
    const page = await listContacts(c.get("services").db, c.get("firmId"), query);
    return c.json({ data: page.data.map(presentContact), nextCursor: page.nextCursor });
  });
}
