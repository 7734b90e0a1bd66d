// Pan and zoom for big diagrams: the wheel or the +/− buttons zoom about a point,
// dragging pans, "Fit" shows the whole diagram again. It moves the SVG's viewBox,
// so the drawing stays sharp, and keeps the zoom when the live module swaps in a
// new layout of the same view. The SVG fills its pane and keeps its aspect ratio
// (preserveAspectRatio meet), so a resized window or full screen re-fits it by itself.

const pane = document.getElementById("diagram");
let zoomed = null; // the viewBox the person chose, or null for "fit"
let drag = null;

const svg = () => pane.querySelector("svg");

function fullBox(s) {
  if (!s.dataset.fullBox) s.dataset.fullBox = s.getAttribute("viewBox");
  return s.dataset.fullBox.split(/[\s,]+/).map(Number);
}

function currentBox(s) {
  const b = s.viewBox.baseVal;
  return [b.x, b.y, b.width, b.height];
}

function setBox(s, box) {
  fullBox(s);
  s.setAttribute("viewBox", box.map((v) => v.toFixed(2)).join(" "));
  zoomed = box;
}

function zoom(factor, clientX, clientY) {
  const s = svg();
  if (!s) return;
  const rect = s.getBoundingClientRect();
  const at = new DOMPoint(clientX ?? rect.left + rect.width / 2, clientY ?? rect.top + rect.height / 2);
  const p = at.matrixTransform(s.getScreenCTM().inverse());
  const [x, y, w, h] = currentBox(s);
  const full = fullBox(s);
  const scale = Math.min(Math.max(w / factor, full[2] / 60), full[2] * 2) / w;
  setBox(s, [p.x - (p.x - x) * scale, p.y - (p.y - y) * scale, w * scale, h * scale]);
}

function fit() {
  const s = svg();
  if (!s) return;
  fullBox(s);
  s.setAttribute("viewBox", s.dataset.fullBox);
  zoomed = null;
}

pane.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    zoom(event.deltaY < 0 ? 1.25 : 1 / 1.25, event.clientX, event.clientY);
  },
  { passive: false },
);

pane.addEventListener("pointerdown", (event) => {
  if (event.button !== 0 || !svg()) return;
  drag = { x: event.clientX, y: event.clientY, box: currentBox(svg()), moving: false, id: event.pointerId };
});

pane.addEventListener("pointermove", (event) => {
  if (!drag) return;
  const dx = event.clientX - drag.x;
  const dy = event.clientY - drag.y;
  if (!drag.moving && Math.hypot(dx, dy) < 5) return;
  if (!drag.moving) {
    // Capture only once it is a drag, so a plain click still reaches the element under it.
    drag.moving = true;
    pane.setPointerCapture(drag.id);
    pane.classList.add("panning");
  }
  const s = svg();
  const m = s.getScreenCTM();
  setBox(s, [drag.box[0] - dx / m.a, drag.box[1] - dy / m.d, drag.box[2], drag.box[3]]);
});

function endDrag() {
  if (drag?.moving) {
    pane.dataset.dragged = "true";
    setTimeout(() => delete pane.dataset.dragged, 0);
    pane.classList.remove("panning");
  }
  drag = null;
}
pane.addEventListener("pointerup", endDrag);
pane.addEventListener("pointercancel", endDrag);

for (const button of document.querySelectorAll("[data-zoom]")) {
  button.addEventListener("click", () => {
    if (button.dataset.zoom === "in") zoom(1.5);
    else if (button.dataset.zoom === "out") zoom(1 / 1.5);
    else if (button.dataset.zoom === "fullscreen") pane.closest(".diagram-pane")?.requestFullscreen?.();
    else fit();
  });
}

new MutationObserver(() => {
  const s = svg();
  if (s && zoomed && !s.dataset.fullBox) setBox(s, zoomed);
}).observe(pane, { childList: true });
