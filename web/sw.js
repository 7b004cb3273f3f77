// Qun's service worker: shows the inbox's Web Push reminders and opens (or focuses) the inbox when one is tapped.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

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
      data: { url: typeof data.url === 'string' ? data.url : '/m' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  let url = new URL('/m', self.location.origin);
  try {
    const wanted = new URL(event.notification.data?.url || '/m', self.location.origin);
    // Only our own pages: a payload must not turn a tap into a trip to another site.
    if (wanted.origin === self.location.origin) url = wanted;
  } catch {
    // keep /m
  }
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const w of windows) {
        if (new URL(w.url).pathname !== url.pathname) continue;
        await w.focus();
        try {
          await w.navigate(url.href); // reload it so the new messages show
        } catch {
          // an uncontrolled window cannot be navigated from here; focusing it is enough
        }
        return;
      }
      await self.clients.openWindow(url.href);
    })(),
  );
});
