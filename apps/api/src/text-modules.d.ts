// Markdown files are bundled as text by the wrangler.toml rule for **/*.md.
declare module "*.md" {
  const text: string;
  export default text;
}
