// Builds the widget into one self-contained script, dist/widget.js, that any page can load.
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: "../dist",
    emptyOutDir: false,
    target: "es2020",
    lib: {
      entry: "src/widget.ts",
      name: "CareDeskWidget",
      formats: ["iife"],
      fileName: () => "widget.js",
    },
  },
  root: new URL(".", import.meta.url).pathname,
});
