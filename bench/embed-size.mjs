// Measures the embeddable snippet: bytes of the unminified bundle, of the minified bundle and of the minified
// bundle gzipped at level 9, printed as one JSON object. Exits 1 when the gzipped size is over the budget.
// Builds in memory with apps/embed/build.mjs, so it leaves apps/embed/dist as it is.
import { EMBED_GZIP_LIMIT, buildEmbed, gzipSize } from "../apps/embed/build.mjs";

const raw = await buildEmbed({ minify: false });
const minified = await buildEmbed({ minify: true });
const result = {
  name: "embed-size",
  raw: Buffer.byteLength(raw),
  minified: Buffer.byteLength(minified),
  gzipped: gzipSize(minified),
  limit: EMBED_GZIP_LIMIT,
};
console.log(JSON.stringify(result));

if (result.gzipped > EMBED_GZIP_LIMIT) {
  console.error(`embed-size: the snippet is ${result.gzipped} bytes gzipped, over the limit of ${EMBED_GZIP_LIMIT}`);
  process.exit(1);
}
