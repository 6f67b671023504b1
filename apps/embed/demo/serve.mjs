// Static server for the Hartley & Moss demo site. It replaces {{API_ORIGIN}} in the pages with the origin of the
// Plumbline API, which serves /embed.js and receives the enquiries.
//
//   node apps/embed/demo/serve.mjs --port 4321 --api http://localhost:8787
import { readFile, readdir } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const siteDir = dirname(fileURLToPath(import.meta.url));
const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};
const PLACEHOLDER = /\{\{API_ORIGIN\}\}/g;

/**
 * Starts the demo site on `host:port` (port 0 picks a free one) and resolves once it listens.
 * Pages are read on each request, so edits show on reload.
 *
 * @param {{ port?: number, host?: string, apiOrigin?: string }} [options]
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function startDemoSite({ port = 4321, host = "127.0.0.1", apiOrigin = "http://localhost:8787" } = {}) {
  // new URL rejects an invalid origin here rather than on the first request, and drops any path or trailing slash.
  const origin = new URL(apiOrigin).origin;
  // Only the site's own files are served, so a request path never reaches the file system unchecked.
  const files = new Set((await readdir(siteDir)).filter((name) => extname(name) in CONTENT_TYPES));

  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url || "/", "http://demo.invalid");
    const name = pathname == "/" ? "index.html" : pathname.slice(1);
    if (request.method != "GET" && request.method != "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      response.end("Method not allowed: the demo site serves GET and HEAD only.\n");
      return;
    }
    if (!files.has(name)) {
      response.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      response.end(`Not found: ${pathname}\n`);
      return;
    }

    try {
      const text = (await readFile(join(siteDir, name), "utf8")).replace(PLACEHOLDER, origin);
      response.writeHead(200, { "Content-Type": CONTENT_TYPES[extname(name)], "Cache-Control": "no-store" });
      response.end(request.method == "HEAD" ? undefined : text);
    } catch (error) {
      console.error(`demo site: reading ${name} failed:`, error);
      response.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      response.end("Internal error: the page could not be read.\n");
    }
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const urlHost = address.family == "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "4321" },
      host: { type: "string", default: "127.0.0.1" },
      api: { type: "string", default: "http://localhost:8787" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "Usage: node apps/embed/demo/serve.mjs [--port 4321] [--host 127.0.0.1] [--api http://localhost:8787]\n" +
        "  --port  TCP port to listen on (0 picks a free one)\n" +
        "  --host  address to listen on\n" +
        "  --api   origin of the Plumbline API that serves /embed.js and receives the enquiries",
    );
    return;
  }

  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo site: invalid --port "${values.port}": expected an integer from 0 to 65535`);
    process.exit(2);
  }
  if (!URL.canParse(values.api)) {
    console.error(`demo site: invalid --api "${values.api}": expected an origin such as http://localhost:8787`);
    process.exit(2);
  }
  const site = await startDemoSite({ port, host: values.host, apiOrigin: values.api });
  console.log(`demo site: Hartley & Moss Solicitors at ${site.url}/ using the API at ${new URL(values.api).origin}`);

  const stop = async () => {
    await site.close();
    console.log("demo site: stopped");
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (import.meta.url == pathToFileURL(process.argv[1] || "").href) await main();
