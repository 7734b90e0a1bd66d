// Keeps the page's diagram and health summary in step with /ws/events/, and re-dispatches every message.
// State-only changes restyle the SVG element already on the page; topology
// changes (a pod added, moved or removed) refetch the diagram, whose layout the
// server caches. A gap in seq, or a reconnect, resyncs from the snapshot.

const GLYPH = { ok: "✔", warning: "▲", error: "✖", unknown: "?" };
const HEALTHS = Object.keys(GLYPH);
const diagram = document.getElementById("diagram");
const liveStatus = document.getElementById("live-status");
const components = new Map();
let seq = null;
let socket = null;
let retryDelay = 500;
let reloadTimer = null;

function setLive(state, text) {
  if (!liveStatus) return;
  liveStatus.dataset.state = state;
  liveStatus.textContent = text;
}

function restyle(component) {
  const element = document.getElementById(component.id);
  if (!element) return false;
  for (const h of HEALTHS) element.classList.remove(`health-${h}`);
  element.classList.add(`health-${component.health}`);
  element.dataset.status = component.status;
  const text = element.querySelector("text.status");
  if (text) text.textContent = `${GLYPH[component.health]} ${component.status}`;
  return true;
}

function restyleAll() {
  for (const component of components.values()) restyle(component);
}

function updateSummary() {
  const counts = { ok: 0, warning: 0, error: 0, unknown: 0 };
  for (const c of components.values()) counts[c.health] += 1;
  for (const h of HEALTHS) {
    const span = document.querySelector(`#health-summary [data-health="${h}"]`);
    if (span) span.textContent = counts[h];
  }
}

function reloadDiagram() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(async () => {
    const response = await fetch(diagram.dataset.src, { cache: "no-store" });
    if (!response.ok) return;
    const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
    diagram.replaceChildren(document.importNode(parsed.documentElement, true));
    restyleAll();
  }, 300);
}

// The time of the newest change: simulated time, a recording's time, or the cluster's own.
function setClock(time) {
  if (!time) return;
  const clock = document.getElementById("sim-clock");
  if (clock) clock.textContent = time;
  const asOf = document.getElementById("cluster-time");
  if (asOf) asOf.textContent = time.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

// With a namespace filter, other namespaces' pods and claims are not drawn and need no redraw.
function shown(component) {
  const only = diagram.dataset.namespace;
  return !only || !component.namespace || component.namespace === only;
}

function applyChange(message) {
  const component = message.component;
  const before = components.get(component.id);
  if (!shown(component)) {
    if (message.type === "removed") components.delete(component.id);
    else components.set(component.id, component);
    return;
  }
  if (message.type === "removed") {
    components.delete(component.id);
    reloadDiagram();
  } else {
    components.set(component.id, component);
    const moved = !before || before.parent !== component.parent;
    if (!restyle(component) || moved) reloadDiagram();
  }
}

function onMessage(event) {
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return;
  }
  if (message.type === "snapshot") {
    seq = message.seq;
    components.clear();
    for (const c of message.components) components.set(c.id, c);
    reloadDiagram();
    updateSummary();
    document.dispatchEvent(new CustomEvent("explorer:message", { detail: message }));
    return;
  }
  if (seq !== null && message.seq !== seq + 1) {
    socket.close(4000, "gap in seq: resync");  // the reconnect brings a fresh snapshot
    return;
  }
  seq = message.seq;
  setClock(message.time);
  if (message.type !== "event") {
    applyChange(message);
    updateSummary();
  }
  // Other modules (timeline, dashboard, tours) listen here instead of opening sockets of their own.
  document.dispatchEvent(new CustomEvent("explorer:message", { detail: message }));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/events/`);
  socket.addEventListener("open", () => {
    retryDelay = 500;
    setLive("live", "live");
  });
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", () => {
    seq = null;
    setLive("reconnecting", "reconnecting…");
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000) * (0.8 + Math.random() * 0.4);
  });
}

connect();
