/**
 * Tells whether a browser origin matches one of a form's allowed-origin patterns. A pattern is an exact origin
 * (`https://www.firm.example`), an origin with `*` for the port (`http://localhost:*`), or one with `*.` for one
 * or more leading subdomain labels (`https://*.firm.example`, which does not match `https://firm.example`).
 */
export function isOriginAllowed(origin: string, patterns: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  // An Origin header is exactly scheme://host[:port]; anything with a path or credentials is not one.
  if (parsed.origin !== origin) return false;

  return patterns.some((pattern) => originMatches(parsed, pattern));
}

const ORIGIN_PATTERN = /^(https?):\/\/(\*\.)?([^:/*?#@[\]\\\s]+)(?::(\*|\d+))?$/;

/** Tells whether a string is an allowed-origin pattern that isOriginAllowed can match, for checking settings input. */
export function isValidOriginPattern(pattern: string): boolean {
  const match = ORIGIN_PATTERN.exec(pattern.trim().toLowerCase());
  if (!match || toAsciiHost(match[3]!) === null) return false;
  const port = match[4];
  return port === undefined || port === "*" || (Number(port) >= 1 && Number(port) <= 65535);
}

function originMatches(origin: URL, pattern: string): boolean {
  const match = ORIGIN_PATTERN.exec(pattern.trim().toLowerCase());
  if (!match) return false;
  const [, scheme, wildcardSubdomain, typedHost, port] = match;

  if (origin.protocol !== `${scheme}:`) return false;

  const host = toAsciiHost(typedHost!);
  if (!host) return false;

  const originHost = origin.hostname;
  const hostMatches = wildcardSubdomain ? originHost.endsWith(`.${host}`) : originHost === host;
  if (!hostMatches) return false;

  if (port === "*") return true;
  const defaultPort = scheme === "https" ? "443" : "80";
  return (origin.port || defaultPort) === (port ?? defaultPort);
}

/**
 * Converts a pattern's host to the ASCII (punycode) form that browsers send in the Origin header, so a pattern
 * typed as `https://bücher.example` matches `https://xn--bcher-kva.example`.
 */
function toAsciiHost(host: string): string | null {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
}
