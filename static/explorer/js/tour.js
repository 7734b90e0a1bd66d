// Tours: highlight the step's components on the live diagram, step with the
// keyboard, run a step's "try it" and wait for its effect, animate the hops the
// simulator performs, and keep a presenter's audience in step.

import { coalesced } from "./coalesce.js";
import { frame, showWhole } from "./frame.js";

const diagram = document.getElementById("diagram");

function panel() {
  return document.getElementById("tour");
}

function json(value, fallback) {
  try {
    return value ? JSON.parse(value) : fallback;
  } catch {
    return fallback;
  }
}

function matches(element, selector) {
  if (selector.startsWith("kind:")) {
    // kind:pod, or kind:pod@worker-1 for the pods drawn inside node worker-1's frame
    const [kind, node] = selector.slice(5).split("@");
    const drawn = element.classList.contains("component") || element.classList.contains("infrastructure");
    return drawn && element.classList.contains(`kind-${kind}`) && (!node || inside(element, `node/${node}`));
  }
  if (selector.startsWith("edge:")) {
    return element.classList.contains("edge") && element.classList.contains(`kind-${selector.slice(5)}`);
  }
  return element.id === selector;
}

function inside(element, frameId) {
  const frame = document.getElementById(frameId);
  if (!frame || frame === element || !element.ownerSVGElement?.contains(frame)) return false;
  const a = element.getBBox();
  const b = frame.getBBox();
  const [x, y] = [a.x + a.width / 2, a.y + a.height / 2];
  return x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height;
}

function elementsFor(selectors) {
  const svg = diagram.querySelector("svg");
  if (!svg) return [];
  return [...svg.querySelectorAll("g.component, g.edge")].filter((el) => selectors.some((s) => matches(el, s)));
}

function applyHighlight({ animate = false } = {}) {
  const current = panel();
  const svg = diagram.querySelector("svg");
  if (!current || !svg) return;
  const selectors = json(current.dataset.highlight, []);
  const focused = [];
  for (const element of svg.querySelectorAll("g.component, g.edge, g.infrastructure")) {
    const hit = selectors.some((s) => matches(element, s));
    element.classList.toggle("tour-focus", hit);
    element.classList.toggle("tour-dim", selectors.length > 0 && !hit);
    if (hit && !element.classList.contains("edge")) focused.push(element);
  }
  // The step's subject fills the pane by default (its words stay legible on a projector);
  // Z shows the whole view, so the class sees where the part sits, and Z again comes back.
  if (whole) showWhole(svg, { animate });
  else frame(svg, focused, { animate });
}

let whole = false;

function toggleWhole() {
  whole = !whole;
  const button = document.getElementById("tour-zoom");
  if (button) button.setAttribute("aria-pressed", String(whole));
  applyHighlight({ animate: true });
}

async function showView(view) {
  if (!view || diagram.dataset.view === view) return;
  const src = `/diagram/${view}.svg`;
  const response = await fetch(src, { cache: "no-store" });
  if (!response.ok) return;  // a view not drawn here: keep the one shown
  const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
  diagram.dataset.view = view;
  diagram.dataset.src = src;
  diagram.replaceChildren(document.importNode(parsed.documentElement, true));
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

let waitingFor = null;
let roomMoves = Promise.resolve();

function offerNext() {
  const next = document.getElementById("tour-next");
  if (next) {
    next.removeAttribute("aria-disabled");
    next.classList.remove("waiting");
  }
}

function setupTryIt(current) {
  const button = document.getElementById("try-it");
  const status = document.getElementById("try-status");
  if (!button || !current.dataset.tryCommand) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    waitingFor = json(current.dataset.tryWait, null);
    status.textContent = `${status.dataset.waiting || "Waiting for"} ${waitingFor?.reason ?? ""}…`;
    const response = await fetch("/api/sim/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: current.dataset.tryCommand,
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      status.textContent = body.error || `HTTP ${response.status}`;
      button.disabled = false;
      waitingFor = null;
    }
  });
}

function onClusterMessage(message) {
  const current = panel();
  if (!current || message.type !== "event") return;
  const animate = json(current.dataset.animate, {});
  if (animate[message.reason]) {
    const hop = elementsFor(animate[message.reason]);
    for (const element of hop) {
      element.classList.remove("tour-pulse");
      void element.getBoundingClientRect();  // restart the animation
      element.classList.add("tour-pulse");
    }
    const now = document.getElementById("tour-now");
    if (now) now.textContent = `${message.reason}: ${message.message}`;
  }
  if (waitingFor && message.reason === waitingFor.reason &&
      (!waitingFor.involved || message.involved === waitingFor.involved)) {
    const status = document.getElementById("try-status");
    if (status) status.textContent = `✔ ${message.reason}: ${message.message}`;
    waitingFor = null;
    offerNext();
  }
}

async function onPanel() {
  const current = panel();
  if (!current) return;
  document.getElementById("tour-zoom")?.setAttribute("aria-pressed", String(whole));
  waitingFor = null;
  await showView(current.dataset.view);
  applyHighlight({ animate: true });
  setupTryIt(current);
  if (current.dataset.presenting && current.dataset.roomState) {
    const move = { tour: current.dataset.tour, step: Number(current.dataset.step) };
    // One move at a time, in order: a quick double step must not leave the room a step behind.
    roomMoves = roomMoves.then(() => fetch(current.dataset.roomState, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(move),
    })).catch(() => {});
  }
}

function go(link) {
  if (!link || link.getAttribute("aria-disabled") === "true") return;
  link.click();
}

document.addEventListener("keydown", (event) => {
  const current = panel();
  if (!current || current.dataset.follow) return;
  if (event.target.closest("input, select, textarea, button")) return;
  if (event.key === "ArrowRight" || event.key === " ") {
    event.preventDefault();
    go(document.getElementById("tour-next"));
  } else if (event.key === "ArrowLeft") {
    event.preventDefault();
    go(document.getElementById("tour-prev"));
  } else if (event.key === "Escape") {
    location.assign(current.dataset.exit);
  } else if (event.key === "z" || event.key === "Z") {
    toggleWhole();
  }
});

// htmx would follow a link that only looks disabled: stop it while a try-it is pending.
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.elt.getAttribute?.("aria-disabled") === "true") event.preventDefault();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("#tour-zoom")) toggleWhole();
});
document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt.id === "tour") onPanel();
});
document.addEventListener("explorer:message", (event) => onClusterMessage(event.detail));
// A new layout (a topology change, another view) is framed at once; so is a resized pane.
new MutationObserver(() => applyHighlight()).observe(diagram, { childList: true });
new ResizeObserver(() => applyHighlight()).observe(diagram);

function follow(room) {
  // The newest room state heard; the panel catches up to it one request at a time, so a
  // move that arrives while the previous one is still loading is not lost.
  let latest = null;
  const shows = (state) => {
    const current = panel();
    return !current || (state.tour === current.dataset.tour && String(state.step) === current.dataset.step);
  };
  const catchUp = coalesced(async () => {
    if (latest && !shows(latest)) {
      await htmx.ajax("GET", `/follow/${room}/${location.search}`, { target: "#tour", swap: "outerHTML" });
    }
  }, 0);
  let delay = 500;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/follow/${room}/`);
    socket.addEventListener("open", () => { delay = 500; });
    socket.addEventListener("message", (event) => {
      const state = json(event.data, {});
      if (state.type !== "state") return;
      latest = state;
      catchUp();
    });
    socket.addEventListener("close", () => {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };
  connect();
}

onPanel();
if (panel()?.dataset.follow) follow(panel().dataset.follow);
