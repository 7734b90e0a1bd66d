// The operator's dashboard: keeps the problems list and the per-layer health
// current (the server ranks them; this asks again when the cluster changes, at
// most twice a second), focuses a component in the diagram, and searches by name.

import { coalesced } from "./coalesce.js";
import { isComponentId } from "./ids.js";

const diagram = document.getElementById("diagram");
const problems = document.getElementById("problems");
const search = document.getElementById("search");
const suggestions = document.getElementById("search-suggestions");
const components = new Map();
const REFRESH_EVERY = 500;

// Another screen (the teacher's) may have changed the simulation: bring the controls up to date,
// keeping what this person had picked.
async function syncSimControls() {
  const controls = document.getElementById("sim-controls");
  if (!controls || controls.contains(document.activeElement)) return;
  const response = await fetch("/api/sim/", { cache: "no-store" });
  if (!response.ok) return;
  const status = await response.json();
  const shown = controls.dataset;
  // A replay's controls also show its loop switch, and are redrawn after a seek (a jump) elsewhere.
  const same = (key) => !(key in shown) || String(status[key]) === shown[key];
  if (same("scenario") && String(status.paused) === shown.paused && Number(status.speed) === Number(shown.speed) &&
      same("loop") && same("jumps")) return;
  const picked = {};
  for (const name of ["node", "component", "deployment"]) {
    const field = controls.querySelector(`[name="${name}"]`);
    if (field?.value) picked[name] = field.value;
  }
  const query = new URLSearchParams(picked).toString();
  htmx.ajax("GET", `/api/sim/${query ? `?${query}` : ""}`, { target: "#sim-controls", swap: "outerHTML" });
}

// One request at a time (a second would swap into the list the first has just replaced),
// at most twice a second, and one more after a change that came in meanwhile.
const refresh = coalesced(async () => {
  if (!problems) return;
  await htmx.ajax("GET", problems.dataset.src + location.search, { target: "#problems", swap: "outerHTML" });
  await syncSimControls();
}, REFRESH_EVERY);

function drawnElementFor(id) {
  let current = components.get(id);
  let element = document.getElementById(id);
  // A pod the overview summarises is found through its node. Parents that go round
  // (a bad recording the hub did not refuse) end the search rather than the tab.
  const seen = new Set([id]);
  while (!element && current?.parent && !seen.has(current.parent)) {
    seen.add(current.parent);
    element = document.getElementById(current.parent);
    current = components.get(current.parent);
  }
  return element;
}

// Nothing focused, and a reload focuses nothing either.
function clearFocus() {
  for (const old of diagram?.querySelectorAll(".focused") ?? []) old.classList.remove("focused");
  const url = new URL(location.href);
  if (url.searchParams.has("focus")) {
    url.searchParams.delete("focus");
    history.replaceState(null, "", url);
  }
}

export function focus(id) {
  if (!diagram || !isComponentId(id)) return false;
  for (const old of diagram.querySelectorAll(".focused")) old.classList.remove("focused");
  const element = drawnElementFor(id);
  if (!element) return false;
  element.classList.add("focused");
  element.scrollIntoView({ block: "center", inline: "center", behavior: "smooth" });
  const url = new URL(location.href);
  url.searchParams.set("focus", id);
  history.replaceState(null, "", url);
  document.dispatchEvent(new CustomEvent("explorer:focus", { detail: { id, element } }));
  return true;
}

function refocus() {
  const id = new URL(location.href).searchParams.get("focus");
  if (id) focus(id);
}

// A node's name is also its kubelet's, kube-proxy's and runtime's: the node is what people mean.
const KIND_ORDER = ["node", "pod", "pvc", "pv", "storageclass", "registry"];

function bestMatch(text) {
  const needle = text.trim().toLowerCase();
  if (!needle) return null;
  if (components.has(text.trim())) return text.trim();
  let best = null;
  for (const [id, c] of components) {
    const name = c.name.toLowerCase();
    const rank = name === needle ? 0 : name.startsWith(needle) ? 1 : id.toLowerCase().includes(needle) ? 2 : 9;
    const kind = KIND_ORDER.includes(c.kind) ? KIND_ORDER.indexOf(c.kind) : KIND_ORDER.length;
    const key = [rank, kind, id];
    if (rank < 9 && (!best || key[0] < best[0] || (key[0] === best[0] && (key[1] < best[1] ||
        (key[1] === best[1] && key[2] < best[2]))))) best = key;
  }
  return best ? best[2] : null;
}

function suggest() {
  if (!suggestions) return;
  const needle = search.value.trim().toLowerCase();
  const found = [];
  if (needle.length >= 1) {
    for (const [id, c] of components) {
      if (c.name.toLowerCase().includes(needle) || id.toLowerCase().includes(needle)) found.push(id);
      if (found.length >= 30) break;
    }
  }
  suggestions.replaceChildren(...found.sort().map((id) => Object.assign(document.createElement("option"), { value: id })));
}

document.addEventListener("explorer:message", (event) => {
  const message = event.detail;
  if (message.type === "snapshot") {
    components.clear();
    for (const c of message.components) components.set(c.id, c);
    refresh();
    return;
  }
  if (message.type === "event") return;
  if (message.type === "removed") components.delete(message.component.id);
  else components.set(message.component.id, message.component);
  refresh();
});

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-focus]");
  if (!link || event.ctrlKey || event.metaKey) return;
  if (focus(link.dataset.focus)) event.preventDefault();
});

search?.form?.addEventListener("submit", (event) => {
  event.preventDefault();
  const status = document.getElementById("search-status");
  const id = bestMatch(search.value);
  const found = id && focus(id);
  // A search that finds nothing must not leave the last one's focus standing, as if it had found that.
  if (!found) clearFocus();
  if (status) status.textContent = found ? id : `${search.dataset.notFound} “${search.value}”`;
});
search?.addEventListener("input", suggest);

// The diagram is replaced when its layout changes: keep the focus on it.
if (diagram) new MutationObserver(refocus).observe(diagram, { childList: true });
refocus();
