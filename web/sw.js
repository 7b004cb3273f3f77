// Qun's service worker: an offline page for navigations that cannot reach the server, the Web Push
// reminders, and a tap on one opens the reminded group at its first unread message (/ or /m, whichever page
// turned reminders on).
const CACHE = 'qun-offline-v1';
const OFFLINE = ['/offline', '/assets/style.css'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(OFFLINE))
      .then(() => self.skipWaiting()),
  );
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// Only navigations are answered here: everything else goes to the network as if there were no worker.
self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.mode === 'navigate') {
    event.respondWith(fetch(req).catch(() => caches.match('/offline')));
  } else if (OFFLINE.includes(new URL(req.url).pathname)) {
    event.respondWith(fetch(req).catch(() => caches.match(req)));
  }
});

// The page that turned reminders on says which one it is; a tap comes back to it.
self.addEventListener('message', (event) => {
  const path = event.data?.t === 'home' ? event.data.path : undefined;
  if (path !== '/' && path !== '/m') return;
  event.waitUntil(caches.open(CACHE).then((c) => c.put('/__home', new Response(path))));
});

async function home() {
  const r = await caches.match('/__home');
  return r ? await r.text() : '/m';
}

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const tag = typeof data.tag === 'string' && data.tag ? data.tag : 'qun';
  event.waitUntil(
    self.registration.showNotification(typeof data.title === 'string' && data.title ? data.title : 'Qun', {
      body: typeof data.body === 'string' ? data.body : '',
      // One notification per tag: a newer reminder for the same group replaces the older one, and still alerts.
      tag,
      renotify: true,
      data: {
        url: typeof data.url === 'string' ? data.url : '/m',
        groupId: Number.isInteger(data.groupId) ? data.groupId : undefined,
      },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openNotification(event.notification.data));
});

/** Opens (or focuses and reloads) the page a reminder points to: the reminded group at its first unread. */
async function openNotification(data) {
  const groupId = data?.groupId;
  const page = await home();
  let url = new URL(page, self.location.origin);
  if (groupId !== undefined) {
    // The app opens ?g= at the first unread message; /m jumps to the group's section.
    if (page === '/') url.search = `?g=${groupId}`;
    else url.hash = `#g${groupId}`;
  } else {
    try {
      const wanted = new URL(data?.url || '/m', self.location.origin);
      // Only our own pages: a payload must not turn a tap into a trip to another site.
      if (wanted.origin === self.location.origin) url = wanted;
    } catch {
      // keep the home page
    }
  }
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) {
    if (new URL(w.url).pathname !== url.pathname) continue;
    try {
      await w.focus();
    } catch {
      // focusing needs the tap's user activation; navigating below does not
    }
    try {
      await w.navigate(url.href); // reload it so the new messages show
    } catch {
      // an uncontrolled window cannot be navigated from here; focusing it is enough
    }
    return;
  }
  await self.clients.openWindow(url.href);
}
