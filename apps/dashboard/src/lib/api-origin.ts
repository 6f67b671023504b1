/** API origin used when PUBLIC_API_ORIGIN is unset or empty. Port 8787 is the default port of `wrangler dev`. */
export const DEFAULT_API_ORIGIN = "http://localhost:8787";

/**
 * Parses PUBLIC_API_ORIGIN into a bare origin such as `https://api.example.com`.
 * Throws when the value is not an absolute http(s) URL, so a misconfigured deploy fails
 * with a clear message instead of rendering broken links.
 */
export function parseApiOrigin(value: string | undefined): string {
  const trimmed = value?.trim() ?? "";
  if (trimmed === "") {
    return DEFAULT_API_ORIGIN;
  }

  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new Error(`PUBLIC_API_ORIGIN is invalid: "${trimmed}" is not an absolute URL. Set it to an origin such as https://api.example.com.`);
  }

  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`PUBLIC_API_ORIGIN is invalid: "${trimmed}" uses ${url.protocol} but must use http: or https:.`);
  }

  // Links are built from the origin alone, so any path, query or fragment is dropped.
  return url.origin;
}

/** URL of the API documentation served by apps/api. */
export function apiDocsUrl(apiOrigin: string): string {
  return new URL("/docs", apiOrigin).href;
}
