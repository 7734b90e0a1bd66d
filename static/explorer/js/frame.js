// Framing: move a diagram's viewBox so that some of its elements fill the pane with a
// little context around them, or show the whole drawing again. The SVG keeps its aspect
// ratio (preserveAspectRatio meet); a move is animated unless the person asked for reduced
// motion. Used by the tours (and so by presenter-follow screens).

const DURATION = 450; // ms
// Never closer than this many CSS pixels per SVG unit: a single small box keeps its neighbours.
const MAX_SCALE = 1.8;
// Context kept around the subject, as a share of its size plus a fixed margin in SVG units.
const CONTEXT = 0.06;
const MARGIN = 18;

const reducedMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)");

export function fullBox(svg) {
  if (!svg.dataset.fullBox) svg.dataset.fullBox = svg.getAttribute("viewBox") || "";
  return svg.dataset.fullBox.split(/[\s,]+/).map(Number);
}

function currentBox(svg) {
  const b = svg.viewBox.baseVal;
  return [b.x, b.y, b.width, b.height];
}

function setBox(svg, box) {
  svg.setAttribute("viewBox", box.map((v) => v.toFixed(2)).join(" "));
}

// An element's box in the SVG's own units, whatever the current viewBox.
function boxOf(svg, element, part) {
  const target = part || element;
  let local;
  try {
    local = target.getBBox();
  } catch {
    return null;
  }
  const toSvg = svg.getScreenCTM()?.inverse().multiply(target.getScreenCTM());
  if (!toSvg || (!local.width && !local.height)) return null;
  const corners = [
    [local.x, local.y],
    [local.x + local.width, local.y],
    [local.x, local.y + local.height],
    [local.x + local.width, local.y + local.height],
  ].map(([x, y]) => new DOMPoint(x, y).matrixTransform(toSvg));
  const xs = corners.map((p) => p.x);
  const ys = corners.map((p) => p.y);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function union(boxes) {
  const real = boxes.filter(Boolean);
  if (!real.length) return null;
  return [
    Math.min(...real.map((b) => b[0])),
    Math.min(...real.map((b) => b[1])),
    Math.max(...real.map((b) => b[2])),
    Math.max(...real.map((b) => b[3])),
  ];
}

// The smallest text height (SVG units) among the elements' own words.
function smallestText(svg, elements) {
  let smallest = Infinity;
  for (const element of elements) {
    for (const text of element.querySelectorAll(":scope > text")) {
      const box = boxOf(svg, element, text);
      if (box && box[3] - box[1] > 0) smallest = Math.min(smallest, box[3] - box[1]);
    }
  }
  return smallest;
}

// `tight`: only the fixed margin, for words that must fit on screen when nothing more can.
function padded(box, tight = false) {
  const [x0, y0, x1, y1] = box;
  const pad = (tight ? 0 : Math.max(x1 - x0, y1 - y0) * CONTEXT) + MARGIN;
  return [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
}

function scaleFor(box, pane, tight = false) {
  const [x0, y0, x1, y1] = padded(box, tight);
  return Math.min(pane.width / (x1 - x0), pane.height / (y1 - y0));
}

// Place a view of the given scale: centred on `centre`, moved as little as needed to keep
// `keep` (the words) inside, and inside the drawing where it can be.
function place(scale, centre, keep, full, pane) {
  const w = pane.width / scale;
  const h = pane.height / scale;
  const [fx, fy, fw, fh] = full;
  const [k0x, k0y, k1x, k1y] = padded(keep, true);
  const axis = (mid, size, low, high, flow, fspan) => {
    let start = mid - size / 2;
    // Inside the drawing first, then the words win: they must be on screen.
    start = size >= fspan ? flow + (fspan - size) / 2 : Math.min(Math.max(start, flow), flow + fspan - size);
    if (high - low <= size) start = Math.min(Math.max(start, high - size), low);
    return start;
  };
  return [axis(centre[0], w, k0x, k1x, fx, fw), axis(centre[1], h, k0y, k1y, fy, fh), w, h];
}

// The view for `elements`: all of them, with a little context, as large as the pane allows.
// Where that leaves their words smaller than `minPx`, zoom in just enough for the words to
// reach it, keeping every word on screen: a node drawn as a frame around its agents and pods
// is then shown by its title and status and as much of the frame as fits.
function viewFor(svg, elements, full, pane, minPx) {
  const whole = union(elements.map((e) => boxOf(svg, e)));
  if (!whole) return full;
  const centre = [(whole[0] + whole[2]) / 2, (whole[1] + whole[3]) / 2];
  let scale = Math.min(scaleFor(whole, pane), MAX_SCALE);
  const words = smallestText(svg, elements);
  if (Number.isFinite(words) && scale * words < minPx) {
    const wordBoxes = elements.map((e) =>
      e.classList.contains("cluster") ? union([...e.querySelectorAll(":scope > text")].map((t) => boxOf(svg, e, t))) : boxOf(svg, e),
    );
    const keep = union(wordBoxes) || whole;
    scale = Math.min(Math.max(scale, (minPx / words) * 1.04), Math.max(scale, scaleFor(keep, pane, true)));
    return place(scale, centre, keep, full, pane);
  }
  return place(scale, centre, whole, full, pane);
}

const moving = new WeakMap();

function animateTo(svg, target, animate) {
  cancelAnimationFrame(moving.get(svg) ?? 0);
  const start = currentBox(svg);
  if (!animate || reducedMotion?.matches || start.some((v) => !Number.isFinite(v))) {
    setBox(svg, target);
    return;
  }
  const began = performance.now();
  const step = (now) => {
    const t = Math.min(1, (now - began) / DURATION);
    const ease = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
    setBox(svg, start.map((v, i) => v + (target[i] - v) * ease));
    if (t < 1) moving.set(svg, requestAnimationFrame(step));
  };
  moving.set(svg, requestAnimationFrame(step));
}

// Frame `elements` of `svg` (the whole drawing when there are none). `minPx` is the text
// height the framing keeps for the elements' words where it can.
export function frame(svg, elements, { animate = true, minPx = 15 } = {}) {
  const full = fullBox(svg);
  if (full.length !== 4) return;
  const rect = svg.getBoundingClientRect();
  const pane = { width: rect.width || 1, height: rect.height || 1 };
  animateTo(svg, elements.length ? viewFor(svg, elements, full, pane, minPx) : full, animate);
}

export function showWhole(svg, { animate = true } = {}) {
  const full = fullBox(svg);
  if (full.length === 4) animateTo(svg, full, animate);
}
