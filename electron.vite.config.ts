import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// Layout: main/, preload/, renderer/ at the top level (see ../shared/ARCHITECTURE.md).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Native and wasm packages (onnxruntime-node, sharp, codecs) stay in node_modules.
      externalizeDeps: true,
      rolldownOptions: { input: { index: resolve(__dirname, 'main/index.ts') } }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be one CommonJS file: bundle everything it imports.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(__dirname, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.js') })],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } }
    }
  }
})
