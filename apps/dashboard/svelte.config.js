import adapter from "@sveltejs/adapter-cloudflare";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

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
