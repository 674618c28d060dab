// Builds the agent console into dist/index.html and dist/assets/ (hashed names), which the
// caredesk binary serves at / and /assets/.
import { defineConfig } from "vite";

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  base: "/",
  build: {
    outDir: "../dist",
    emptyOutDir: false,
    target: "es2020",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
