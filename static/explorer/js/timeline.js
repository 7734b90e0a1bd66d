// The event timeline: Kubernetes events and health changes, newest first,
// filtered by namespace, kind, reason and severity. Pausing holds new entries
// back without losing them; the list never grows past its limit, so a wall
// screen can run for days.

const list = document.getElementById("timeline");
const controls = document.getElementById("timeline-controls");
const pauseButton = document.getElementById("timeline-pause");
const held = document.getElementById("timeline-held");
const LIMIT = Number(list?.dataset.limit || 200);
const HOLD_LIMIT = 5000;
let paused = false;
let waiting = [];
let dropped = 0;

function kindOf(id) {
  return id ? id.split("/")[0] : "";
}

function namespaceOf(id) {
  const parts = id ? id.split("/") : [];
  return parts.length === 3 ? parts[1] : "";
}

function filters() {
  const value = (name) => controls?.querySelector(`[name="${name}"]`)?.value.trim() || "";
  return { namespace: value("namespace"), kind: value("kind"), reason: value("reason").toLowerCase(), severity: value("severity") };
}

function visible(item, f) {
  const d = item.dataset;
  return (!f.namespace || d.namespace === f.namespace) && (!f.kind || d.kind === f.kind) &&
    (!f.severity || d.severity === f.severity) && (!f.reason || d.reason.toLowerCase().includes(f.reason));
}

function applyFilters() {
  const f = filters();
  for (const item of list.children) item.hidden = !visible(item, f);
}

function render(entry) {
  const item = document.createElement("li");
  item.className = entry.severity;
  Object.assign(item.dataset, {
    namespace: namespaceOf(entry.involved), kind: kindOf(entry.involved), reason: entry.reason, severity: entry.severity,
  });
  const time = document.createElement("time");
  time.dateTime = entry.time;
  time.textContent = entry.time.slice(11, 19);
  const reason = document.createElement("span");
  reason.className = "reason";
  reason.textContent = entry.reason;
  const text = document.createElement("div");
  const link = document.createElement("a");
  link.href = `?focus=${encodeURIComponent(entry.involved)}`;
  link.dataset.focus = entry.involved;
  link.textContent = entry.involved;
  text.append(link, `: ${entry.message}`);
  item.append(time, reason, text);
  item.hidden = !visible(item, filters());
  return item;
}

function show(entries) {
  const fragment = document.createDocumentFragment();
  for (let i = entries.length - 1; i >= 0; i -= 1) fragment.append(render(entries[i]));
  list.prepend(fragment);
  while (list.children.length > LIMIT) list.lastElementChild.remove();
}

function add(entry) {
  if (!paused) {
    show([entry]);
    return;
  }
  waiting.push(entry);
  if (waiting.length > HOLD_LIMIT) {
    dropped += waiting.length - HOLD_LIMIT;
    waiting = waiting.slice(-HOLD_LIMIT);
  }
  held.textContent = `${waiting.length} new${dropped ? ` (${dropped} oldest dropped)` : ""}`;
}

function setPaused(value) {
  paused = value;
  pauseButton.setAttribute("aria-pressed", String(paused));
  pauseButton.textContent = paused ? pauseButton.dataset.resume : pauseButton.dataset.pause;
  if (!paused) {
    show(waiting.slice(-LIMIT));
    waiting = [];
    dropped = 0;
    held.textContent = "";
  }
}

// The server sends the entries this page's filters let through (health changes among them), at most
// a list's worth per frame: the page never sees, nor holds, the whole cluster's stream.
function onMessage(message) {
  if (message.type !== "event") return;
  add({ time: message.time, reason: message.reason, message: message.message, involved: message.involved,
        severity: message.severity || "Normal" });
}

function filtersChanged() {
  applyFilters();
  document.dispatchEvent(new CustomEvent("explorer:subscription"));
}

if (list) {
  document.addEventListener("explorer:message", (event) => onMessage(event.detail));
  controls?.addEventListener("input", filtersChanged);
  controls?.addEventListener("submit", (event) => event.preventDefault());
  pauseButton?.addEventListener("click", () => setPaused(!paused));
}
