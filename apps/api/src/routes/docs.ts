import type { Hono } from "hono";
import apiDocs from "../../../../docs/api.md";
import type { HonoEnv } from "../context";
import { escapeHtml, page } from "../pages/html";

/** `GET /docs`: the API reference (docs/api.md, bundled with the Worker) as a plain page. */
export function registerDocs(app: Hono<HonoEnv>) {
  app.get("/docs", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.html(page("Plumbline API", `<pre style="white-space:pre-wrap">${escapeHtml(apiDocs)}</pre>`));
  });
}
