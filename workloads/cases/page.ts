/**
 * The analysts' page: three static files (page/index.html, app.js, app.css) read once at start-up.
 * They hold no data: the script asks the API for everything with the analyst's bearer token, which it
 * keeps in sessionStorage (gone when the tab closes), and renders every value as text, never markup.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');

/** Only this page's own script and style; no inline code, no frames, no other origins. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface Asset {
  body: Buffer;
  headers: Record<string, string>;
}

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

let cache: Map<string, Asset> | undefined;

export function pageAsset(path: string): Asset | undefined {
  if (cache === undefined) {
    cache = new Map();
    for (const [route, { file, type }] of Object.entries(FILES))
      cache.set(route, {
        body: readFileSync(join(DIR, file)),
        headers: { 'content-type': type, 'content-security-policy': PAGE_CSP, 'cache-control': 'no-cache' },
      });
  }
  return cache.get(path);
}
