// The operator's dashboard: keeps the problems list and the per-layer health
// current (the server ranks them; this asks again when the page's stream moves, at
// most twice a second), focuses a component in the diagram, and searches by name.
// The page holds only what it draws: the search and the way to a component that a
// summary box counts are the server's to answer (/api/search/).

import { coalesced } from "./coalesce.js";
import { isComponentId } from "./ids.js";

const diagram = document.getElementById("diagram");
const problems = document.getElementById("problems");
const search = document.getElementById("search");
const suggestions = document.getElementById("search-suggestions");
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

function searchUrl(text) {
  const params = new URLSearchParams({ q: text });
  if (diagram?.dataset.namespace) params.set("namespace", diagram.dataset.namespace);
  return `/api/search/?${params}`;
}

async function ask(text) {
  const response = await fetch(searchUrl(text), { cache: "no-store" });
  return response.ok ? response.json() : { best: null, elements: [], suggestions: [] };
}

// The first of `ids` drawn on the page: a component, or the summary that counts it, or its node.
function firstDrawn(ids) {
  for (const id of ids) {
    const element = document.getElementById(id);
    if (element && diagram?.contains(element)) return element;
  }
  return null;
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

function focusElement(id, element) {
  for (const old of diagram.querySelectorAll(".focused")) old.classList.remove("focused");
  element.classList.add("focused");
  element.scrollIntoView({ block: "center", inline: "center", behavior: "smooth" });
  const url = new URL(location.href);
  url.searchParams.set("focus", id);
  history.replaceState(null, "", url);
  document.dispatchEvent(new CustomEvent("explorer:focus", { detail: { id, element } }));
  return true;
}

// Focus a component drawn on the page at once, else ask the server which element stands for it.
export async function focus(id, elements = null) {
  if (!diagram || !isComponentId(id)) return false;
  const drawn = firstDrawn([id]);
  if (drawn) return focusElement(id, drawn);
  const found = elements ?? (await ask(id)).elements ?? [];
  const element = firstDrawn(found);
  return element ? focusElement(id, element) : false;
}

function refocus() {
  const id = new URL(location.href).searchParams.get("focus");
  if (id) focus(id);
}

const suggest = coalesced(async () => {
  if (!suggestions) return;
  const text = search.value.trim();
  const found = text ? (await ask(text)).suggestions || [] : [];
  suggestions.replaceChildren(...found.map((id) => Object.assign(document.createElement("option"), { value: id })));
}, 250);

// Whatever the page's stream brought (a change in the view, its counts or the timeline): ask again.
document.addEventListener("explorer:view", () => refresh());

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-focus]");
  if (!link || event.ctrlKey || event.metaKey || !diagram) return;
  // Not drawn here: ask the server for the element that stands for it, and follow the link if none does.
  event.preventDefault();
  focus(link.dataset.focus).then((found) => {
    if (!found) location.assign(link.href);
  });
});

search?.form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = document.getElementById("search-status");
  const text = search.value;
  const answer = await ask(text);
  const id = answer.best;
  const found = id && (await focus(id, answer.elements));
  // A search that finds nothing must not leave the last one's focus standing, as if it had found that.
  if (!found) clearFocus();
  if (status) status.textContent = found ? id : `${search.dataset.notFound} “${text}”`;
});
search?.addEventListener("input", () => suggest());

// The diagram is replaced when its layout changes: keep the focus on it.
if (diagram) new MutationObserver(refocus).observe(diagram, { childList: true });
refocus();
