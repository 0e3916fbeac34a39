// Bundles src/index.js and its npm dependencies into one ESM file inside the Python package
// (../src/graph_olap/widget/static/graph_view.js), so installing the SDK needs no node.
// `node build.mjs --check` fails when the committed bundle differs from a fresh build.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const out = fileURLToPath(new URL("../src/graph_olap/widget/static/graph_view.js", import.meta.url));
const check = process.argv.includes("--check");
const options = {
  entryPoints: [fileURLToPath(new URL("./src/index.js", import.meta.url))],
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  legalComments: "eof",
  banner: { js: "// graph_olap graph view — built from sdk/python/js by `npm run build`; do not edit." },
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
};

if (check) {
  const result = await build({ ...options, write: false, outfile: out });
  const fresh = result.outputFiles[0].text;
  const committed = readFileSync(out, "utf8");
  if (fresh !== committed) {
    console.error(`${out} is stale: run \`npm run build\` in sdk/python/js`);
    process.exit(1);
  }
  console.log("bundle up to date");
} else {
  await build({ ...options, outfile: out });
  console.log(`wrote ${out} (${readFileSync(out).length} bytes)`);
}
