// Keeps the page's diagram and health summary in step with the server, over one
// socket that carries what the page shows, never the whole cluster: the page
// subscribes with its view, namespace filter, open panel and timeline filters,
// and gets that view's model (the components drawn one by one, the counts of
// every summary box, the health totals) and then only the changes to it.
// State-only changes restyle the SVG element already on the page; a new layout
// or new counts in a summary box refetch the diagram, whose layout the server
// caches. Timeline entries come filtered and bounded, and are re-dispatched as
// `explorer:message` DOM events (type `event`) for the timeline and the tours;
// every frame is dispatched as `explorer:view` for the dashboard. A gap in seq
// asks for the whole model again on the same socket; so does a new subscription
// (a tour moving to another view, a panel opening). The indicator #live-status
// says live, reconnecting (with backoff), or stale since when.

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
let layout = null;

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

function updateSummary(health) {
  for (const h of HEALTHS) {
    const span = document.querySelector(`#health-summary [data-health="${h}"]`);
    if (span && health && h in health) span.textContent = health[h];
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

// The time of the newest change: simulated time, a recording's time, or the cluster's own.
function setClock(time) {
  if (!time) return;
  const clock = document.getElementById("sim-clock");
  if (clock) clock.textContent = time;
  const asOf = document.getElementById("cluster-time");
  if (asOf) asOf.textContent = time.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function dispatch(message) {
  document.dispatchEvent(new CustomEvent("explorer:message", { detail: message }));
}

function applyComponent(component) {
  const before = components.get(component.id);
  components.set(component.id, component);
  const moved = !before || before.parent !== component.parent;
  const drawn = restyle(component);
  if (!drawn || moved) reloadDiagram();
  // Lines under the status (a raft term, a lease holder, containers) come from the detail,
  // which only the server words: ask it for the diagram when an element showing them changed.
  else if (before && linesMayDiffer(component, before)) reloadDiagram();
}

// A summary box's counts are drawn by the server: new counts fetch the diagram (a cached layout).
function applySummaries(summaries) {
  for (const [id, counts] of Object.entries(summaries)) {
    const element = document.getElementById(id);
    if (element) element.dataset.counts = JSON.stringify(counts);
  }
  reloadDiagram();
}

function subscription() {
  const value = (name) => document.querySelector(`#timeline-controls [name="${name}"]`)?.value.trim() || "";
  const panel = new URL(location.href).searchParams.get("component") || "";
  return {
    type: "subscribe",
    view: diagram?.dataset.view || "overview",
    namespace: diagram?.dataset.namespace || "",
    panel,
    timeline: { namespace: value("namespace"), kind: value("kind"), reason: value("reason"), severity: value("severity") },
  };
}

function query(fields) {
  const params = new URLSearchParams({ view: fields.view });
  if (fields.namespace) params.set("namespace", fields.namespace);
  if (fields.panel) params.set("panel", fields.panel);
  return params.toString();
}

let subscribed = "";

// The page moved (a tour step, a panel, a timeline filter): the same socket, a new subscription.
function resubscribe() {
  const wanted = subscription();
  const text = JSON.stringify(wanted);
  if (text === subscribed || socket?.readyState !== WebSocket.OPEN) return;
  subscribed = text;
  resyncing = true;
  socket.send(text);
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
  if (message.type === "error") {
    // A view that is not there (a node gone): say so, keep the socket.
    if (liveStatus) liveStatus.title = message.message || "";
    return;
  }
  if (message.type === "view") {
    // A status message after it says otherwise if the hub is stale.
    if (sourceFailed) setLive("failed", failedText);
    else setLive("live", liveText);
    resyncing = false;
    seq = message.seq;
    layout = message.layout;
    components.clear();
    for (const c of message.components) components.set(c.id, c);
    reloadDiagram();
    updateSummary(message.health);
  } else if (message.type === "view-change") {
    if (resyncing) return;  // the whole model is on its way
    if (seq !== null && message.from !== seq) {
      resync();
      return;
    }
    seq = message.seq;
    if (message.components?.length || message.removed?.length) sourceWorks();
    for (const c of message.components || []) applyComponent(c);
    for (const id of message.removed || []) {
      components.delete(id);
      reloadDiagram();
    }
    if (message.summaries) applySummaries(message.summaries);
    if (message.layout && message.layout !== layout) {
      layout = message.layout;
      reloadDiagram();
    }
    if (message.health) updateSummary(message.health);
  } else {
    return;
  }
  setClock(message.time);
  for (const entry of message.events || []) dispatch(entry);
  document.dispatchEvent(new CustomEvent("explorer:view", { detail: message }));
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
    if (message && typeof message === "object") handle(message);
  }
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
  // A gap in seq: the page cannot build the right model from here. Asking again sends it whole.
  subscribed = "";
  resubscribe();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // The page's stream: a JSON array of messages at most ten times a second, for this view only.
  const wanted = subscription();
  socket = new WebSocket(`${scheme}://${location.host}/ws/events/?${query(wanted)}`);
  resyncing = true;
  socket.addEventListener("open", () => {
    // The address carried all but the timeline's filters: send them (and whatever moved meanwhile) if any.
    subscribed = JSON.stringify({ ...wanted, timeline: { namespace: "", kind: "", reason: "", severity: "" } });
    resubscribe();
  });
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", () => {
    seq = null;
    subscribed = "";
    const delay = retryDelay * (0.8 + Math.random() * 0.4);
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY);
    const since = lastMessage ? ` (${staleText} ${clockTime(new Date(lastMessage).toISOString())})` : "";
    setLive("reconnecting", reconnectingText + since);
    setTimeout(connect, delay);
  });
}

connect();
// A tour step shows another view; the dashboard's namespace filter; a panel opened or closed.
if (diagram) new MutationObserver(resubscribe).observe(diagram, { attributeFilter: ["data-view", "data-namespace"] });
document.addEventListener("explorer:subscription", resubscribe);
window.addEventListener("popstate", resubscribe);
document.addEventListener("htmx:pushedIntoHistory", resubscribe);
