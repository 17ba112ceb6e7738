/* The driver's offline queue: every scan and checklist is kept in IndexedDB with its device
   time and a client event_id, and synced through the batch endpoint when there is signal.
   An event leaves the queue only when the server said stored, already stored or refused. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("driver-config").textContent);
  const L = config.labels;
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const DB_NAME = "lpg-driver-" + config.userId;
  const STORE = "queue";
  const MAX_SIDE = 1600;
  let syncing = false;
  /* A delivery names the check done at that door today; one from another day is not its
     evidence (and a failed item found then would refuse it again). */
  const CHECKS_KEY = DB_NAME + "-checks";
  const localDay = (when) => new Date(when - new Date(when).getTimezoneOffset() * 60000)
    .toISOString().slice(0, 10);
  const checksByCustomer = Object.fromEntries(
    Object.entries(JSON.parse(localStorage.getItem(CHECKS_KEY) || "{}"))
      .filter(([, check]) => check && check.day === localDay(Date.now())));

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "event_id" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  const dbReady = openDb();

  async function tx(mode, fn) {
    const db = await dbReady;
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const store = t.objectStore(STORE);
      let out;
      Promise.resolve(fn(store)).then((v) => { out = v; });
      t.oncomplete = () => resolve(out);
      t.onerror = () => reject(t.error);
    });
  }
  const put = (record) => tx("readwrite", (s) => { s.put(record); });
  const all = () => tx("readonly", (s) => new Promise((resolve) => {
    const req = s.getAll(); req.onsuccess = () => resolve(req.result);
  }));

  /* What the server answered before today leaves the phone: the queue would otherwise grow
     for every round (photos included) and be read on every scan. Pending ones always stay. */
  async function dropOldAnswers() {
    const midnight = new Date().setHours(0, 0, 0, 0);
    const old = (await all()).filter((r) => r.state !== "pending" && (r.synced || 0) < midnight);
    if (old.length) await tx("readwrite", (s) => { old.forEach((r) => s.delete(r.event_id)); });
  }

  /* The position comes from watchPosition; a scan takes the latest fix and never waits for
     one (a basement has no fix). The last fix is kept, so a reload without signal still has it. */
  const POSITION_KEY = DB_NAME + "-position";
  let lastPosition = JSON.parse(localStorage.getItem(POSITION_KEY) || "null");

  function showPosition(live) {
    const el = document.getElementById("position");
    el.dataset.fix = lastPosition ? (live ? "live" : "saved") : "none";
    el.textContent = lastPosition
      ? `${lastPosition.lat.toFixed(5)}, ${lastPosition.lon.toFixed(5)}${live ? "" : " · " + L.position_saved}`
      : L.position_none;
  }

  function watchPosition() {
    showPosition(false);
    if (!navigator.geolocation) return;
    navigator.geolocation.watchPosition((p) => {
      lastPosition = { lat: p.coords.latitude, lon: p.coords.longitude };
      localStorage.setItem(POSITION_KEY, JSON.stringify(lastPosition));
      showPosition(true);
    }, () => showPosition(false), { enableHighAccuracy: true, maximumAge: 30000 });
  }

  let lastScan = null; // the scan the message under the scanner speaks of
  async function enqueue(type, payload, eventId) {
    const where = lastPosition || { lat: null, lon: null };
    const record = {
      event_id: eventId || uuid(), type, occurred_at: new Date().toISOString(),
      payload: Object.assign({ lat: where.lat, lon: where.lon }, payload),
      state: "pending", created: Date.now(), reasons: [], error: null,
    };
    await put(record);
    if (type !== "safety_check") lastScan = record.event_id;
    await render();
    if (navigator.onLine) sync();
    return record;
  }

  /* One sync at a time; a scan queued during a sync is sent right after it. A failed sync is
     retried when the signal returns, on "Sync now", or after RETRY_MS. */
  const RETRY_MS = 15000;
  let again = false;
  let retryTimer = null;
  let syncFailures = 0;

  /* Why the last sync failed: "signed_out" (401: the session ended), "reload" (the page's
     CSRF token belongs to an older session), "failed" (anything else), or null. Scans stay
     queued either way; the driver is told what to do when only they can fix it. */
  let problem = null;

  function syncState(state) {
    const el = document.getElementById("queue");
    el.dataset.sync = state;
    el.dataset.syncFailures = String(syncFailures);
    const msg = document.getElementById("sync-msg");
    const shown = state === "failed" && navigator.onLine ? problem : null;
    msg.hidden = !shown;
    msg.dataset.problem = shown || "";
    if (!shown) return;
    msg.textContent = L["sync_" + shown] + " ";
    if (shown !== "failed") {
      const a = document.createElement("a");
      a.href = shown === "signed_out" ? config.loginUrl : location.href;
      a.textContent = shown === "signed_out" ? L.sign_in : L.reload;
      msg.appendChild(a);
    }
  }

  async function failure(resp) {
    if (resp.status === 401) return "signed_out";
    let code = null;
    try { code = (await resp.json()).error.code; } catch (err) { /* not our JSON */ }
    return code === "csrf_failed" ? "reload" : "failed";
  }

  async function sync() {
    if (syncing) { again = true; return; }
    syncing = true;
    clearTimeout(retryTimer);
    syncState("syncing");
    let failed = false;
    try {
      do {
        again = false;
        failed = !(await sendPending());
      } while (again && !failed);
    } finally {
      if (failed) syncFailures += 1;
      await render(); // the counts first, then the state a watcher may wait for
      syncing = false;
      syncState(failed ? "failed" : "idle");
      retryTimer = setTimeout(() => { if (navigator.onLine) sync(); }, RETRY_MS);
    }
    if (again && !failed) sync(); // queued while the counts were drawn
  }

  /* Batches of at most 50 events and config.batchBytes of JSON (half the server's upload
     limit): a round of photographed checks sent as one body would be refused as too large,
     and the same chunk retried for ever would hold back every scan after it. */
  function batches(records) {
    const out = [];
    let current = [];
    let size = 0;
    for (const r of records) {
      const bytes = JSON.stringify({ event_id: r.event_id, type: r.type,
        occurred_at: r.occurred_at, payload: r.payload }).length;
      if (current.length && (current.length >= 50 || size + bytes > config.batchBytes)) {
        out.push(current);
        current = [];
        size = 0;
      }
      current.push(r);
      size += bytes;
    }
    if (current.length) out.push(current);
    return out;
  }

  async function sendPending() {
    const pending = (await all()).filter((r) => r.state === "pending")
      .sort((a, b) => a.created - b.created);
    for (const chunk of batches(pending)) {
      const body = { events: chunk.map((r) => ({ event_id: r.event_id, type: r.type,
        occurred_at: r.occurred_at, payload: r.payload })) };
      let answer;
      try {
        const resp = await fetch(config.batchUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify(body),
        });
        if (!resp.ok) { // 4xx/5xx for the whole batch: keep everything, retry later
          problem = await failure(resp);
          return false;
        }
        answer = await resp.json();
      } catch (err) {
        problem = "failed";
        return false; // no signal or cut off: nothing is lost, the same event ids are sent again
      }
      problem = null;
      const byId = new Map(chunk.map((r) => [r.event_id, r]));
      for (const result of answer.results) {
        const record = byId.get(result.event_id);
        if (!record) continue;
        const stored = result.result || {};
        record.state = result.status === "refused" ? "refused" : "stored";
        record.server_status = result.status;
        record.reasons = result.reasons || [];
        record.error = result.error || null;
        record.notes = stored.notes || [];
        record.read_code = stored.code || null; // what the server read from a photo
        record.hazards = (record.type === "safety_check" && stored.hazards) || [];
        record.seen = !(record.state === "refused" || record.notes.length);
        record.synced = Date.now();
        if (record.payload.photo) record.payload.photo = "(photo)";
        if (record.payload.photos) {
          record.payload.photos = Object.fromEntries(
            Object.keys(record.payload.photos).map((item) => [item, "(photo)"]));
        }
        await put(record);
      }
    }
    return true;
  }

  /* A refusal in the page's language: reasons carry Chinese and English, an error its
     `text` (its `message` is the API's English). */
  const english = config.lang === "en";
  const words = (list) => (list || []).map((x) => (english && x.message_en) || x.message)
    .join(english ? "; " : "；");
  function describe(r) {
    const code = r.payload.code || (r.payload.photo ? `📷 ${r.read_code || ""}`.trim() : "");
    let text = `${L[r.type] || r.type} ${code} · ${L[r.state]}`;
    if (r.state === "refused") {
      const why = words(r.reasons) || (r.error && (r.error.text || r.error.message)) || "";
      text += why ? `: ${why}` : "";
    } else if (r.notes && r.notes.length) {
      text += `: ${words(r.notes)}`;
    } else if (r.hazards && r.hazards.length) {
      text += `: ${L.hazards_opened.replace("%(n)s", r.hazards.length)}`;
    }
    return text;
  }
  const needsLook = (r) => r.state === "refused" || (r.notes && r.notes.length);

  /* Renders overlap (a scan and a sync); only the latest one writes, or an older read could
     overwrite newer counts. */
  let renderSeq = 0;
  async function render() {
    const seq = ++renderSeq;
    const records = await all();
    if (seq !== renderSeq) return;
    const count = (s) => records.filter((r) => r.state === s).length;
    for (const s of ["pending", "stored", "refused"]) {
      document.querySelector(`[data-testid=count-${s}]`).textContent = count(s);
    }
    /* A refusal or a flag the driver has not acknowledged heads the list and the banner. */
    const unseen = records.filter((r) => needsLook(r) && !r.seen);
    const attention = document.getElementById("attention");
    attention.hidden = !unseen.length;
    document.getElementById("attention-text").textContent =
      L.attention.replace("%(n)s", unseen.length);
    const list = document.getElementById("queue-list");
    const order = (r) => (needsLook(r) && !r.seen ? 0 : 1);
    list.replaceChildren(...records.sort((a, b) => order(a) - order(b) || b.created - a.created)
      .slice(0, 30).map((r) => {
        const li = document.createElement("li");
        li.className = r.state + (r.notes && r.notes.length ? " noted" : "");
        li.dataset.eventId = r.event_id;
        li.textContent = describe(r);
        return li;
      }));
    const last = records.find((r) => r.event_id === lastScan);
    if (last && last.state !== "pending") {
      const msg = document.getElementById("scan-msg");
      msg.textContent = describe(last);
      msg.dataset.state = needsLook(last) ? "look" : last.state;
    }
    const badge = document.getElementById("online");
    badge.textContent = navigator.onLine ? L.online : L.offline;
    badge.className = "badge " + (navigator.onLine ? "badge-ok" : "badge-warn");
  }

  function shrink(file) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const scale = Math.min(1, MAX_SIDE / Math.max(img.width, img.height));
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale);
        canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(img.src);
        resolve(canvas.toDataURL("image/jpeg", 0.9));
      };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  const mode = () => document.querySelector("input[name=mode]:checked").value;
  const customer = () => parseInt(document.getElementById("customer").value, 10) || null;
  const station = () => parseInt(document.getElementById("station").value, 10) || null;
  const say = (id, text) => { document.getElementById(id).textContent = text; };

  function showFields() {
    const m = mode();
    document.querySelector("[data-for=customer]").hidden = !(m === "delivery" || m === "return");
    document.querySelector("[data-for=station]").hidden = m !== "unload";
    document.getElementById("checklist").hidden = m !== "delivery";
  }

  function stepPayload(extra) {
    const m = mode();
    const payload = Object.assign({}, extra);
    if (m === "delivery" || m === "return") {
      if (!customer()) { say("scan-msg", L.need_customer); return null; }
      payload.customer_id = customer();
      if (m === "delivery" && checksByCustomer[customer()]) {
        payload.safety_check_id = checksByCustomer[customer()].id;
      }
    }
    if (m === "unload") {
      if (!station()) { say("scan-msg", L.need_station); return null; }
      payload.station_org_id = station();
    }
    return payload;
  }

  document.querySelectorAll("input[name=mode]").forEach((el) => el.addEventListener("change", showFields));
  /* A scan repeated (a scanner sending twice, a second try to be sure) would come back
     refused as a second hand-over. It is one when the latest record of that code on this
     phone is the same step at the same door and was not refused. */
  const bare = (code) => String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, "");
  async function repeated(step, payload) {
    const latest = (await all()).filter((r) => r.type !== "safety_check"
      && bare(r.payload.code) === bare(payload.code)).sort((a, b) => b.created - a.created)[0];
    return Boolean(latest && latest.type === step && latest.state !== "refused"
      && latest.payload.customer_id === payload.customer_id
      && latest.payload.station_org_id === payload.station_org_id);
  }

  let scans = Promise.resolve(); // one scan at a time: a repeat must see the one before it
  let lastQueuedAt = 0;
  async function recordScan(step, payload) {
    if (await repeated(step, payload)) {
      say("scan-msg", `${L[step]} ${payload.code} · ${L.already}`);
      document.getElementById("scan-msg").dataset.state = "repeated";
      return;
    }
    say("scan-msg", `${L[step]} ${payload.code} · ${L.queued}`);
    document.getElementById("scan-msg").dataset.state = "pending";
    lastQueuedAt = Date.now();
    await enqueue(step, payload);
  }

  document.getElementById("code-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = document.getElementById("code");
    const code = input.value.trim();
    if (!code) { // a wedge's second Enter right after a scan is no request for a code
      if (Date.now() - lastQueuedAt > 1500) say("scan-msg", L.need_code);
      return;
    }
    const step = mode();
    const payload = stepPayload({ code });
    if (!payload) return;
    input.value = ""; // read and cleared at once: the next scan may be typed while this one is saved
    input.focus();
    lastQueuedAt = Date.now();
    scans = scans.then(() => recordScan(step, payload)).catch((err) => console.error(err));
  });
  document.getElementById("photo").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    const step = mode();
    const payload = stepPayload({});
    ev.target.value = "";
    if (!payload) return;
    payload.photo = await shrink(file);
    say("scan-msg", `${L[step]} 📷 · ${L.queued}`);
    document.getElementById("scan-msg").dataset.state = "pending";
    await enqueue(step, payload);
  });

  const rows = () => Array.from(document.querySelectorAll("#check-form tr[data-item]"));
  document.getElementById("check-form").addEventListener("change", (ev) => {
    if (ev.target.type !== "radio") return;
    const row = ev.target.closest("tr");
    row.querySelector(".fail-photo").hidden = ev.target.value !== "fail";
  });
  document.getElementById("all-pass").addEventListener("click", () => {
    rows().forEach((row) => {
      if (!row.querySelector("input[type=radio]:checked")) row.querySelector("input[value=pass]").checked = true;
    });
  });
  document.getElementById("check-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const customerId = customer();
    if (!customerId) { say("check-msg", L.need_customer); return; }
    const items = {};
    const photos = {};
    for (const row of rows()) {
      const picked = row.querySelector("input[type=radio]:checked");
      if (!picked) { say("check-msg", L.need_item); return; }
      items[row.dataset.item] = picked.value;
      if (picked.value === "fail") {
        const file = row.querySelector(".fail-photo").files[0];
        if (!file) { say("check-msg", L.need_photo); return; }
        photos[row.dataset.item] = await shrink(file);
      }
    }
    const eventId = uuid();
    checksByCustomer[customerId] = { id: eventId, day: localDay(Date.now()) };
    localStorage.setItem(CHECKS_KEY, JSON.stringify(checksByCustomer));
    ev.target.reset();
    rows().forEach((row) => { row.querySelector(".fail-photo").hidden = true; });
    await enqueue("safety_check", { customer_id: customerId, items, photos }, eventId);
    say("check-msg", `${L.safety_check} · ${L.queued}`);
  });

  document.getElementById("sync-now").addEventListener("click", sync);
  document.getElementById("attention-ok").addEventListener("click", async () => {
    const unseen = (await all()).filter((r) => needsLook(r) && !r.seen);
    await tx("readwrite", (s) => { unseen.forEach((r) => s.put(Object.assign(r, { seen: true }))); });
    await render();
  });
  window.addEventListener("online", () => { render(); sync(); });
  window.addEventListener("offline", render);
  showFields();
  watchPosition();
  syncState("idle");
  dropOldAnswers().then(render).then(() => { if (navigator.onLine) sync(); });
  if ("serviceWorker" in navigator) {
    /* The worker keeps this page and its assets, so a reload with no signal still opens it. */
    navigator.serviceWorker.register(config.swUrl, { scope: config.swScope })
      .then(() => navigator.serviceWorker.ready)
      .then(() => { document.getElementById("queue").dataset.offlineReady = "yes"; })
      .catch(() => { document.getElementById("queue").dataset.offlineReady = "no"; });
  }
  window.lpgDriver = { sync, all }; // for support staff and tests
})();
