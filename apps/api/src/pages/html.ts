import { escapeHtml } from "@plumbline/core";

export { escapeHtml };

/** Wraps content in a small en-GB page with inline styles, for the pages the API serves to browsers. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:2rem 1rem;color:#1a1a1a;background:#fafaf7;line-height:1.5}
main{max-width:36rem;margin:0 auto;background:#fff;border:1px solid #d6d6cf;border-radius:8px;padding:1.5rem 2rem}
h1{font-size:1.5rem;margin-top:0}a{color:#0b5394}
article{border-top:1px solid #d6d6cf;padding-top:1rem}pre{white-space:pre-wrap;font:inherit}.meta{color:#555;font-size:.9rem}
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}
