import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Svelte puts component styles in the CSS file, so the CSP needs no 'unsafe-inline'.
    css: "external",
  },
};
