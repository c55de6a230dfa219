import { defineConfig } from 'vite';

// The Electron preload: sandboxed preloads cannot load modules, so it is bundled into one CommonJS file.
export default defineConfig({
  build: {
    outDir: 'build/preload',
    emptyOutDir: true,
    minify: false,
    lib: {
      entry: 'electron/preload/preload.ts',
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
