import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

// Built into dist/, which the server serves at /console (packages/server/src/http/routes/console-static.ts).
// `veritrail-source` reads @veritrail/core from its TypeScript sources, as the server's tests do.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  resolve: { conditions: ["veritrail-source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The strict CSP allows no inline script: no preload polyfill, every asset a file of its own.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    // One bundle of about 175 KB gzip (React 19, Base UI, core with its pure-JS crypto): small enough not to split.
    chunkSizeWarningLimit: 700,
  },
});
