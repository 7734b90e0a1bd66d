// The replay's controls: the seek slider and the clock follow the recording while it plays.
//
// The server renders the controls with where the replay stood (data-clock, seconds on the
// recording's clock) and how fast it goes; between renders this moves the slider on by the
// speed, and the recording's own messages carry it forward (never back: a seek or a rewind
// redraws the controls). When a playing replay reaches its end, the controls are fetched
// again, so they say so. A slider the person is dragging is left alone.

const TICK = 250;
let shown = null; // the controls element the anchor below belongs to
let anchor = { position: 0, wall: 0 };
let dragging = false;
let askedAtEnd = false;

function controls() {
  return document.querySelector('#sim-controls[data-kind="replay"]');
}

function numbers(section) {
  const d = section.dataset;
  return {
    duration: Number(d.duration) || 0,
    speed: Number(d.speed) || 1,
    playing: d.paused === "false",
    loop: d.loop === "true",
    start: Date.parse(d.start),
  };
}

function position(section) {
  const { duration, speed, playing } = numbers(section);
  const now = playing ? anchor.position + ((performance.now() - anchor.wall) / 1000) * speed : anchor.position;
  return Math.min(Math.max(now, 0), duration);
}

function timeText(start, seconds) {
  if (Number.isNaN(start)) return "";
  return new Date(start + seconds * 1000).toISOString();
}

function show(section, seconds) {
  const slider = section.querySelector("#replay-position");
  if (slider && !dragging) slider.value = String(seconds);
  const elapsed = section.querySelector("#replay-elapsed");
  if (elapsed) elapsed.textContent = `${Math.round(seconds)} s`;
  const clock = section.querySelector("#replay-clock");
  const text = timeText(numbers(section).start, seconds);
  if (clock && text) clock.textContent = text;
}

function tick() {
  const section = controls();
  if (!section) return;
  if (section !== shown) {
    // Freshly rendered: the server's position is the truth now.
    shown = section;
    anchor = { position: Number(section.dataset.clock) || 0, wall: performance.now() };
    askedAtEnd = false;
    // Placed here, not by a style attribute: the Content-Security-Policy allows no inline style.
    for (const mark of section.querySelectorAll(".replay-ticks .tick[data-percent]")) {
      mark.style.left = `${Number(mark.dataset.percent) || 0}%`;
    }
  }
  const seconds = position(section);
  show(section, seconds);
  const { duration, playing, loop } = numbers(section);
  if (playing && !loop && seconds >= duration && !askedAtEnd && window.htmx) {
    askedAtEnd = true;
    // Give the server a moment to reach the end too, then show its controls as they are there.
    setTimeout(() => htmx.ajax("GET", "/api/sim/", { target: "#sim-controls", swap: "outerHTML" }), 500);
  }
}

document.addEventListener("explorer:message", (event) => {
  const section = controls();
  const time = event.detail?.time;
  if (!section || section !== shown || !time) return;
  const at = (Date.parse(time) - numbers(section).start) / 1000;
  if (Number.isFinite(at) && at > position(section)) anchor = { position: at, wall: performance.now() };
});

document.addEventListener("input", (event) => {
  if (event.target.id === "replay-position") {
    dragging = true;
    const section = controls();
    const elapsed = section?.querySelector("#replay-elapsed");
    if (elapsed) elapsed.textContent = `${Math.round(Number(event.target.value))} s`;
  }
});
document.addEventListener("change", (event) => {
  if (event.target.id === "replay-position") dragging = false;
});

setInterval(tick, TICK);
tick();
