// Keeps the page's diagram and health summary in step with /ws/events/, and
// re-dispatches every message as an `explorer:message` DOM event for the
// timeline, the dashboard and the tours, so the page needs one socket only.
// State-only changes restyle the SVG element already on the page; topology
// changes (a pod added, moved or removed) refetch the diagram, whose layout the
// server caches. A gap in seq, or a reconnect, resyncs from the snapshot.
// The indicator #live-status says live, reconnecting (with backoff), or stale
// since when (the server says so when the hub stops beating).

import { coalesced } from "./coalesce.js";

const GLYPH = { ok: "✔", warning: "▲", error: "✖", unknown: "?" };
const HEALTHS = Object.keys(GLYPH);
const diagram = document.getElementById("diagram");
const liveStatus = document.getElementById("live-status");
const components = new Map();
const FIRST_RETRY = 500;
const MAX_RETRY = 15000;
// The words come from the page, so they follow its language.
const liveText = liveStatus?.dataset.textLive || "live";
const staleText = liveStatus?.dataset.textStale || "stale since";
const reconnectingText = liveStatus?.dataset.textReconnecting || "reconnecting…";
const failedText = liveStatus?.dataset.textFailed || "no data";
// The page was served while the cluster source could not start: a snapshot then is no sign of
// life. The first change that arrives is (an explorer retrying a cluster got through).
let sourceFailed = Boolean(liveStatus?.dataset.sourceError);
let seq = null;
let socket = null;
let retryDelay = FIRST_RETRY;
let resyncing = false;
let lastMessage = 0;

function setLive(state, text) {
  if (!liveStatus) return;
  liveStatus.dataset.state = state;
  liveStatus.textContent = text;
  liveStatus.title = "";
}

function restyle(component) {
  const element = document.getElementById(component.id);
  if (!element) return false;
  const health = `health-${component.health}`;
  if (!element.classList.contains(health)) {
    for (const h of HEALTHS) element.classList.remove(`health-${h}`);
    element.classList.add(health);
  }
  element.dataset.status = component.status;
  const text = element.querySelector("text.status");
  if (text) text.textContent = `${GLYPH[component.health]} ${component.status}`;
  return true;
}

function linesMayDiffer(component, before) {
  const element = document.getElementById(component.id);
  if (!element?.querySelector("text.detail")) return false;
  return JSON.stringify(component.detail ?? {}) !== JSON.stringify(before.detail ?? {});
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

// A steady stream of changes redraws about three times a second, one request at a time.
const reloadDiagram = coalesced(async () => {
  const src = diagram.dataset.src;
  const response = await fetch(src, { cache: "no-store" });
  // The page may have moved to another view meanwhile (a tour step): drop the old one.
  if (!response.ok || diagram.dataset.src !== src) return;
  const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
  diagram.replaceChildren(document.importNode(parsed.documentElement, true));
  restyleAll();
}, 300);

// Which components the drawn view reads at all (the server writes it on the SVG):
// a change to anything else needs no new diagram.
let scopeOf = { svg: null, scope: {} };

function viewScope() {
  const svg = diagram.querySelector("svg");
  if (svg !== scopeOf.svg) {
    let scope = {};
    try {
      scope = JSON.parse(svg?.dataset.scope || "{}");
    } catch {
      scope = {};
    }
    scopeOf = { svg, scope };
  }
  return scopeOf.scope;
}

function reads(scope, component) {
  if (!component) return false;
  if (scope.node) return component.id === scope.node || component.parent === scope.node;
  if (scope.kinds && !scope.kinds.includes(component.kind)) return false;
  if (scope.pods === "with-claims" && component.kind === "pod") return (component.detail?.claims || []).length > 0;
  return true;
}

function inView(component, before) {
  const scope = viewScope();
  return reads(scope, component) || reads(scope, before);
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

function dispatch(message) {
  document.dispatchEvent(new CustomEvent("explorer:message", { detail: message }));
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
    if (inView(component, before)) reloadDiagram();
  } else {
    components.set(component.id, component);
    const moved = !before || before.parent !== component.parent;
    const drawn = restyle(component);
    if ((!drawn || moved) && inView(component, before)) reloadDiagram();
    // Lines under the status (a raft term, a lease holder, containers) come from the detail,
    // which only the server words: ask it for the diagram when an element showing them changed.
    else if (drawn && before && linesMayDiffer(component, before)) reloadDiagram();
  }
}

function sourceWorks() {
  if (!sourceFailed) return;
  sourceFailed = false;
  document.getElementById("source-error")?.remove();
  setLive("live", liveText);
}

function handle(message) {
  if (message.type === "status") {
    // Not a change: it says whether the hub is alive, and repeats the last seq.
    sourceFailed = false;  // a hub's own word (scaled out) is the better one
    if (message.hub === "stale") markStale(message.since);
    else setLive("live", liveText);
    return;
  }
  if (message.type === "snapshot") {
    // A status message after it says otherwise if the hub is stale.
    if (sourceFailed) setLive("failed", failedText);
    else setLive("live", liveText);
    seq = message.seq;
    components.clear();
    for (const c of message.components) components.set(c.id, c);
    reloadDiagram();
    updateSummary();
    dispatch(message);
    return;
  }
  if (seq !== null && message.seq !== seq + 1) {
    resync();
    return;
  }
  seq = message.seq;
  sourceWorks();
  setClock(message.time);
  if (message.type !== "event") applyChange(message);
  dispatch(message);
}

function onMessage(event) {
  let batch;
  try {
    batch = JSON.parse(event.data);
  } catch {
    return;
  }
  retryDelay = FIRST_RETRY;  // the server spoke: it is worth reconnecting quickly next time
  lastMessage = Date.now();
  if (!Array.isArray(batch)) batch = [batch];
  for (const message of batch) {
    if (!message || typeof message !== "object") continue;
    handle(message);
    if (resyncing) return;
  }
  updateSummary();
}

function clockTime(iso) {
  const when = iso ? new Date(iso) : new Date();
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleTimeString();
}

function markStale(since) {
  setLive("stale", `${staleText} ${clockTime(since)}`);
  liveStatus.title = since || "";
}

function resync() {
  // A gap in seq: the page cannot build the right state from here. A new socket starts with a snapshot.
  resyncing = true;
  socket.close(4000, "gap in seq: resync");
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // frames=1: the server sends a JSON array of consecutive messages at most ten times a second.
  socket = new WebSocket(`${scheme}://${location.host}/ws/events/?frames=1`);
  resyncing = false;
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", () => {
    seq = null;
    if (resyncing) {
      setTimeout(connect, 0);
      return;
    }
    const delay = retryDelay * (0.8 + Math.random() * 0.4);
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY);
    const since = lastMessage ? ` (${staleText} ${clockTime(new Date(lastMessage).toISOString())})` : "";
    setLive("reconnecting", reconnectingText + since);
    setTimeout(connect, delay);
  });
}

connect();
