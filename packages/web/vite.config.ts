import { defineConfig } from 'vite';

// Preact's automatic JSX runtime through esbuild, so no framework plugin is needed.
export default defineConfig({
  root: 'app',
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
