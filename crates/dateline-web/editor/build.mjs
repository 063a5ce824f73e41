// Builds the newsroom editor's bundle into the theme (run by scripts/build-editor).
//
//   node build.mjs            writes ../themes/default/static/newsroom-editor.{js,css} and LICENSES.md
//   node build.mjs --check    builds in memory and fails when the committed files differ
//
// The output depends only on the sources, package-lock.json and the pinned esbuild: no timestamps,
// no absolute paths, no source maps, so every machine builds the same bytes.

import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const staticDir = path.resolve(here, "../themes/default/static");
const check = process.argv.includes("--check");

const banner = "/* Dateline newsroom editor. Bundled from pinned npm packages (ProseMirror, prosemirror-markdown, "
  + "markdown-it and their dependencies, MIT); licences in crates/dateline-web/editor/LICENSES.md. */";

// Two of markdown-it's dependencies are replaced in the browser (see src/browser/): the
// entity table the browser already has, and a linkifier the server's dialect does not use.
const browserStandIns = {
  name: "browser-stand-ins",
  setup(build) {
    const standIns = { entities: "src/browser/entities.js", "linkify-it": "src/browser/linkify.js" };
    build.onResolve({ filter: /^(entities|linkify-it)$/ }, (args) => (
      args.importer.includes(`${path.sep}markdown-it${path.sep}`)
        ? { path: path.join(here, standIns[args.path]) }
        : undefined));
  },
};

const common = {
  plugins: [browserStandIns],
  bundle: true,
  minify: true,
  write: false,
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  legalComments: "none",
  logLevel: "warning",
  absWorkingDir: here,
  banner: { js: banner, css: banner },
  charset: "utf8",
};

const js = await esbuild.build({ ...common, entryPoints: ["src/main.js"], format: "iife", outfile: "out.js" });
const css = await esbuild.build({ ...common, entryPoints: ["src/editor.css"], outfile: "out.css" });

/** Every package in the bundle's dependency tree, with its licence text. */
function licences() {
  const lock = JSON.parse(fs.readFileSync(path.join(here, "package-lock.json"), "utf8"));
  const rows = Object.entries(lock.packages)
    .filter(([key, info]) => key.startsWith("node_modules/") && !info.dev && !info.optional)
    .map(([key, info]) => ({ name: key.slice("node_modules/".length), version: info.version, license: info.license }))
    .sort((a, b) => a.name.localeCompare(b.name));
  let text = "# Licences of the newsroom editor's bundle\n\n"
    + "`themes/default/static/newsroom-editor.js` and `newsroom-editor.css` are built by `scripts/build-editor` from these\n"
    + "npm packages (pinned in `package-lock.json`). This file is written by the build; do not edit it.\n\n"
    + "| package | version | licence |\n|---|---|---|\n"
    + rows.map((r) => `| ${r.name} | ${r.version} | ${r.license} |`).join("\n") + "\n";
  for (const row of rows) {
    const dir = path.join(here, "node_modules", row.name);
    const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    if (!file) throw new Error(`${row.name} ships no licence file`);
    text += `\n## ${row.name} ${row.version}\n\n\`\`\`\n${fs.readFileSync(path.join(dir, file), "utf8").trim()}\n\`\`\`\n`;
  }
  return text;
}

const outputs = [
  [path.join(staticDir, "newsroom-editor.js"), js.outputFiles[0].text],
  [path.join(staticDir, "newsroom-editor.css"), css.outputFiles[0].text],
  [path.join(here, "LICENSES.md"), licences()],
];

let stale = [];
for (const [file, text] of outputs) {
  if (check) {
    const committed = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
    if (committed !== text) stale.push(path.relative(path.resolve(here, "../../.."), file));
  } else {
    fs.writeFileSync(file, text);
  }
  const gzip = (await import("node:zlib")).gzipSync(Buffer.from(text), { level: 9 }).length;
  const brotli = (await import("node:zlib")).brotliCompressSync(Buffer.from(text)).length;
  if (!file.endsWith(".md")) {
    console.log(`${path.basename(file)}: ${text.length} bytes, ${gzip} gzip, ${brotli} brotli`);
  }
}
if (stale.length) {
  console.error(`stale: ${stale.join(", ")} differ from a fresh build; run scripts/build-editor and commit the result`);
  process.exit(1);
}
