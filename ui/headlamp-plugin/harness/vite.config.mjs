// Builds Headlamp's frontend (harness/headlamp.tsx over @kinvolk/headlamp-plugin's published
// lib/) into harness/dist for the browser tests, with Vite as Headlamp builds its own.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'url';
import { defineConfig } from 'vite';
import svgr from 'vite-plugin-svgr';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  envPrefix: 'REACT_APP_',
  plugins: [svgr(), react()],
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 100000,
    // Headlamp's i18n loads its locales with import(`./locales/${language}/${namespace}.json`):
    // Vite turns that into chunks only for the files it is told to look into.
    dynamicImportVarsOptions: { include: [/@kinvolk\/headlamp-plugin\/lib\//], exclude: [] },
  },
  logLevel: 'warn',
});
