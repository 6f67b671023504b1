import { createHash } from "node:crypto";
import adapter from "@sveltejs/adapter-cloudflare";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/**
 * The style attribute of the hidden live region that SvelteKit adds to every page to announce client-side
 * navigations (`#svelte-announcer`, written by @sveltejs/kit 2.70's src/core/sync/write_root.js). The browser
 * creates it from parsed markup after start-up, so CSP treats the attribute as an inline style. It must match the
 * attribute byte for byte: the browser test fails on any CSP error in the console if a SvelteKit upgrade changes it.
 */
const ANNOUNCER_STYLE =
  "position: absolute; left: 0; top: 0; clip: rect(0 0 0 0); clip-path: inset(50%); overflow: hidden; white-space: nowrap; width: 1px; height: 1px";
const ANNOUNCER_STYLE_HASH = `sha256-${createHash("sha256").update(ANNOUNCER_STYLE).digest("base64")}`;

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // Reads wrangler.jsonc in this folder and writes the Worker and its assets to .svelte-kit/cloudflare.
    adapter: adapter(),
    // SvelteKit sets this CSP on rendered pages and adds a nonce or hash for its own inline
    // start-up script to script-src. In `vite dev` it also adds 'unsafe-inline' to style-src
    // for the <style> elements that Vite injects. Other responses get a stricter CSP in
    // src/hooks.server.ts.
    csp: {
      mode: "auto",
      directives: {
        "default-src": ["self"],
        "script-src": ["self"],
        "style-src": ["self"],
        // Allows exactly the announcer's style attribute. 'unsafe-hashes' lets a hash match an attribute, and
        // applies only to the hashes listed here, so every other inline style stays blocked.
        "style-src-attr": ["unsafe-hashes", ANNOUNCER_STYLE_HASH],
        "img-src": ["self", "data:"],
        "font-src": ["self"],
        "connect-src": ["self"],
        "object-src": ["none"],
        "base-uri": ["self"],
        "form-action": ["self"],
        "frame-ancestors": ["none"],
      },
    },
  },
};

export default config;
