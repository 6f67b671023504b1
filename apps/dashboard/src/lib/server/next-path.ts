/**
 * Returns `value` when it is a path on this site, else "/". Anything else (`//evil.example`, `/\evil.example`,
 * `https://…`) would send a person who just signed in to another site.
 */
export function safeNextPath(value: string | null | undefined): string {
  if (!value || value.length > 2000) return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  try {
    const resolved = new URL(value, "http://dashboard.invalid");
    if (resolved.origin !== "http://dashboard.invalid") return "/";
    return resolved.pathname + resolved.search + resolved.hash;
  } catch {
    return "/";
  }
}
