import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { defineConfig } from 'vite';

// The server reads web/asset-manifest.txt to know which files the UI has (a class path
// cannot be listed portably): one path a line, relative to the output directory.
function assetManifest() {
  let outDir;
  return {
    name: 'tether-asset-manifest',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const files = [];
      const walk = (dir) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else if (name !== 'asset-manifest.txt') files.push(relative(outDir, path).split(sep).join('/'));
        }
      };
      walk(outDir);
      files.sort();
      writeFileSync(join(outDir, 'asset-manifest.txt'), files.join('\n') + '\n');
    },
  };
}

export default defineConfig({
  // Maven passes --outDir target/classes/web; this default serves a plain `npm run build`.
  build: {
    outDir: '../../../target/classes/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // Everything is served by the server itself, never inlined from elsewhere.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  plugins: [assetManifest()],
  server: {
    // `npm run dev` against a local server: ./tether server --dev on 127.0.0.1:8080.
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});
