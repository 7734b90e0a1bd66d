// Drill-down on any diagram: a click on a drawn component opens its detail panel
// (the htmx partial at /component/<id>/) and records it in the address bar as
// ?component=<id>, so a reload or a shared link reopens exactly that panel; a click
// on a node (or on a node's pod counts) opens the node's own view. On a page
// without a panel (the dashboard) the click goes to the overview page instead.

import { componentUrl, isComponentId } from "./ids.js";

const diagram = document.getElementById("diagram");
const detail = document.getElementById("detail");

// The component the address bar names, if it names one (?component=<id>).
function selectedId() {
  const id = new URL(location.href).searchParams.get("component");
  return isComponentId(id) ? id : null;
}

function nodeViewUrl(nodeName) {
  return `/view/nodes/${encodeURIComponent(nodeName)}/`;
}

function markSelected(id) {
  for (const old of diagram.querySelectorAll(".selected")) old.classList.remove("selected");
  const element = id && document.getElementById(id);
  if (element && diagram.contains(element)) element.classList.add("selected");
}

function openPanel(id, remember) {
  const url = componentUrl(id);
  if (!url) return;
  if (remember) {
    const url = new URL(location.href);
    url.searchParams.set("component", id);
    history.pushState({ component: id }, "", url);
  }
  markSelected(id);
  window.htmx.ajax("GET", url, { target: "#detail", swap: "innerHTML" });
  // The page's socket then carries this component whole, even where the view only counts it.
  document.dispatchEvent(new CustomEvent("explorer:subscription"));
}

diagram.addEventListener("click", (event) => {
  if (diagram.dataset.dragged === "true") return; // the end of a pan, not a click
  const element = event.target.closest("g.component, g.summary");
  if (!element || !diagram.contains(element)) return;
  const id = element.id;
  if (element.classList.contains("kind-node")) {
    location.href = nodeViewUrl(id.slice("node/".length));
  } else if (id.startsWith("pods-of/")) {
    location.href = nodeViewUrl(id.slice("pods-of/".length));
  } else if (element.classList.contains("component") || id.startsWith("node-group/")) {
    if (detail) openPanel(id, true);
    else location.href = `/view/overview/?component=${encodeURIComponent(id)}`;
  }
});

window.addEventListener("popstate", () => {
  const id = selectedId();
  if (id) openPanel(id, false);
  else if (detail) {
    detail.replaceChildren();
    markSelected(null);
  }
});

// Keyboard too: every clickable element takes the focus, and Enter or Space clicks it.
function makeFocusable() {
  for (const element of diagram.querySelectorAll("g.component, g[id^='pods-of/'], g[id^='node-group/']")) {
    element.setAttribute("tabindex", "0");
    element.setAttribute("role", "button");
  }
}

diagram.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" && event.key !== " ") return;
  const element = event.target.closest("g.component, g.summary");
  if (!element) return;
  event.preventDefault();
  element.dispatchEvent(new MouseEvent("click", { bubbles: true }));
});

// When the component whose panel is open changes, fetch the panel again so its status,
// fields and events follow. A drawn one is restyled by the live module (data-status);
// one inside a summary (a pod among a node group's counts) is not drawn, but the page's
// socket sends it all the same, because the panel is part of the subscription.
let panelTimer = null;
function refreshPanel() {
  const id = selectedId();
  if (!id || !detail) return;
  clearTimeout(panelTimer);
  panelTimer = setTimeout(() => {
    window.htmx.ajax("GET", componentUrl(id), { target: "#detail", swap: "innerHTML" });
  }, 300);
}
new MutationObserver((mutations) => {
  const id = selectedId();
  if (id && mutations.some((m) => m.target.id === id)) refreshPanel();
}).observe(diagram, { subtree: true, attributes: true, attributeFilter: ["data-status"] });
document.addEventListener("explorer:view", (event) => {
  const id = selectedId();
  if (!id || document.getElementById(id)) return;  // a drawn one follows its restyle above
  const message = event.detail;
  const changed = message.type === "view-change" && (message.components || []).some((c) => c.id === id);
  const events = (message.events || []).some((e) => e.involved === id);
  if (changed || events) refreshPanel();
});

// The live module swaps in a new layout on topology changes: keep the selection marked.
function refresh() {
  makeFocusable();
  markSelected(selectedId());
}
new MutationObserver(refresh).observe(diagram, { childList: true });
refresh();
