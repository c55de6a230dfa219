import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer: one static bundle served by Electron (app://) and by browser mode (127.0.0.1).
export default defineConfig({
  root: 'renderer',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../build/renderer',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});
