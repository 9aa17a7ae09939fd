// Bundles the chat page for the server assembly: src/main.js with its npm libraries into app.js, styles.css into
// app.css, and copies index.html beside them. Run by ChatPage.targets as `node build.mjs OUTDIR` after `npm ci`.
import { build } from "esbuild";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
if (!outdir) {
  console.error("usage: node build.mjs OUTDIR");
  process.exit(2);
}
await mkdir(outdir, { recursive: true });
// The licenses of the bundled libraries head app.js, read from their own package.json files.
const readJson = async path => JSON.parse(await readFile(path, "utf8"));
const { dependencies } = await readJson(join(here, "package.json"));
const notices = await Promise.all(Object.keys(dependencies).map(async name => {
  const p = await readJson(join(here, "node_modules", name, "package.json"));
  return `${p.name} ${p.version} (${p.license}) ${p.homepage ?? ""}`.trim();
}));
await build({
  // main.js imports styles.css, so the bundle is app.js and app.css.
  entryPoints: { app: join(here, "src/main.js") },
  outdir,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome109", "firefox115", "safari16"],
  // The libraries' license notices travel at the end of app.js.
  legalComments: "eof",
  banner: { js: `/*! PhiSharp chat page. Bundled libraries:\n${notices.join("\n")}\n*/` },
  logLevel: "warning",
});
await copyFile(join(here, "index.html"), join(outdir, "index.html"));
