// Loads a console TypeScript module for node's test runner: esbuild (which Vite brings)
// bundles it to an ES module in memory, imported from a data: URL.
import { build } from "esbuild";

export async function load(path) {
  const out = await build({
    entryPoints: [new URL(`../../${path}`, import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
  });
  const code = out.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}
