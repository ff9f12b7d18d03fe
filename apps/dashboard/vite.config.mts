// The dashboard's build and dev server. The build goes to dist/dashboard, which the gateway serves at `/`
// (tools/build/dashboard.mjs runs codegen first). `npm run dashboard:dev` serves it with hot reload and proxies
// the API routes to a running gateway (UNIONFED_GATEWAY_URL, else npm start's http://127.0.0.1:4000).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const gateway = process.env.UNIONFED_GATEWAY_URL ?? 'http://127.0.0.1:4000';
const offset = Number(process.env.UNIONFED_PORT_OFFSET ?? 0);
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    host: '127.0.0.1',
    port: 5173 + offset,
    strictPort: true,
    proxy: Object.fromEntries(
      ['/graphql', '/uploads', '/downloads', '/member-accounts', '/auth'].map((path) => [
        path,
        { target: gateway, changeOrigin: false },
      ]),
    ),
  },
});
