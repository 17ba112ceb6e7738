/* The driver page's service worker: it keeps the page and its assets so a driver who reloads
   or reopens the page with no signal still gets it (the queue itself lives in IndexedDB).
   SHELL ({version, page, assets}) is put in front of this file by the server; a new version
   (changed assets) installs a new worker, which drops the old caches. */
"use strict";
const CACHE = "lpg-driver-" + SHELL.version;
const PAGE_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then(async (cache) => {
    await cache.addAll(SHELL.assets);
    const page = await fetch(SHELL.page, { credentials: "same-origin" });
    if (isPage(page)) await cache.put(SHELL.page, page);
    await self.skipWaiting();
  }));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("lpg-driver-") && k !== CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function isPage(response) {
  return response.ok && !response.redirected && response.type === "basic";
}

/* The page: the network first (fresh customers and assignment), the kept copy when there is
   no answer within PAGE_TIMEOUT_MS; a redirect to the login page drops the kept copy. */
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error("slow")), PAGE_TIMEOUT_MS)),
    ]);
    if (isPage(response)) await cache.put(SHELL.page, response.clone());
    else if (response.redirected) await cache.delete(SHELL.page);
    return response;
  } catch (err) {
    const kept = await cache.match(SHELL.page);
    if (kept) return kept;
    throw err;
  }
}

/* Assets: the kept copy (the version names them), else the network. */
async function asset(request) {
  const kept = await caches.match(request, { cacheName: CACHE });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // the batch sync goes straight to the network
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL.page) {
    event.respondWith(page(request));
  } else if (SHELL.assets.includes(url.pathname)) {
    event.respondWith(asset(request));
  }
});
