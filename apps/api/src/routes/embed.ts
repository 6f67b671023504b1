import { EMBED_JS } from "@plumbline/embed";
import type { Hono } from "hono";
import type { HonoEnv } from "../context";
import { sha256Hex } from "../lib/crypto";

let etag: Promise<string> | undefined;

/** `GET /embed.js`: the form snippet firms put on their websites. */
export function registerEmbedScript(app: Hono<HonoEnv>) {
  app.get("/embed.js", async (c) => {
    etag ??= sha256Hex(EMBED_JS).then((hash) => `"${hash.slice(0, 32)}"`);
    const tag = await etag;
    c.header("ETag", tag);
    // Short caching, so a fixed snippet reaches every firm's site within minutes of a deploy.
    c.header("Cache-Control", "public, max-age=300");
    c.header("Access-Control-Allow-Origin", "*");
    if (c.req.header("if-none-match") === tag) return c.body(null, 304);
    return c.body(EMBED_JS, 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });
}
