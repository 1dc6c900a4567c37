// WintEHR image viewer: frames are rendered on the server (cached there); this script only picks
// which frame, window and size to ask for, and zooms/pans the picture it gets back.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("viewer-config").textContent);
  const stage = document.querySelector(".viewer-stage");
  const image = document.querySelector(".viewer-image");
  const positionOverlay = document.querySelector('[data-overlay="position"]');
  const windowOverlay = document.querySelector('[data-overlay="window"]');
  const thumbs = Array.from(document.querySelectorAll(".viewer-thumb"));
  if (!config.series.length) return;

  const state = {
    series: 0,
    slice: 0,
    window: null, // [center, width] chosen by the user; null: the image's own
    shownWindow: null, // the window of the picture on screen (from the X-Window header)
    zoom: 1,
    panX: 0,
    panY: 0,
  };
  let requestNumber = 0;
  let inFlight = false;
  let pending = false;
  let lastUrl = "";

  // Every frame of a series, in order: [{sop, frame}]
  function slices(seriesIndex) {
    const out = [];
    for (const img of config.series[seriesIndex].images) {
      for (let f = 1; f <= img.frames; f++) out.push({ sop: img.sop, frame: f });
    }
    return out;
  }

  function frameUrl(seriesIndex, sliceIndex) {
    const series = config.series[seriesIndex];
    const item = slices(seriesIndex)[sliceIndex];
    // Rounded up to steps of 128 so that nearby stage sizes share cached renderings.
    const step = (n) => Math.min(4096, Math.ceil((n * (window.devicePixelRatio || 1)) / 128) * 128);
    const params = new URLSearchParams({
      viewport: `${step(stage.clientWidth)},${step(stage.clientHeight)}`,
      accept: "image/jpeg",
      quality: "92",
    });
    if (state.window) params.set("window", `${Math.round(state.window[0])},${Math.max(1, Math.round(state.window[1]))}`);
    return `${config.studiesUrl}/${config.study}/series/${series.uid}/instances/${item.sop}/frames/${item.frame}/rendered?${params}`;
  }

  async function show() {
    const url = frameUrl(state.series, state.slice);
    if (url === lastUrl) return;
    if (inFlight) {
      pending = true; // one request at a time: the latest state is fetched when this one ends
      return;
    }
    inFlight = true;
    const number = ++requestNumber;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`${response.status}`);
      const header = response.headers.get("X-Window");
      const blob = await response.blob();
      if (number === requestNumber) {
        const old = image.src;
        image.src = URL.createObjectURL(blob);
        if (old.startsWith("blob:")) URL.revokeObjectURL(old);
        lastUrl = url;
        if (header) state.shownWindow = header.split(",").slice(0, 2).map(Number);
      }
    } catch (error) {
      positionOverlay.textContent = `cannot load this frame (${error.message})`;
    } finally {
      inFlight = false;
      if (pending) {
        pending = false;
        show();
      }
    }
    prefetch();
    drawOverlays();
  }

  function prefetch() {
    const count = slices(state.series).length;
    for (const next of [state.slice + 1, state.slice - 1, state.slice + 2]) {
      if (next >= 0 && next < count) new Image().src = frameUrl(state.series, next);
    }
  }

  function drawOverlays() {
    const count = slices(state.series).length;
    positionOverlay.innerHTML = "";
    positionOverlay.append(config.series[state.series].label || "", document.createElement("br"), `Image ${state.slice + 1} / ${count}`);
    const shown = state.window || state.shownWindow;
    windowOverlay.textContent = `${shown ? `W ${Math.round(shown[1])} L ${Math.round(shown[0])}` : ""}  Zoom ${state.zoom.toFixed(2)}×`;
    image.style.transform = `translate(calc(-50% + ${state.panX}px), calc(-50% + ${state.panY}px)) scale(${state.zoom})`;
  }

  function selectSeries(index) {
    state.series = index;
    state.slice = Math.floor(slices(index).length / 2);
    state.window = null;
    thumbs.forEach((thumb, i) => thumb.setAttribute("aria-pressed", String(i === index)));
    show();
  }

  function moveSlice(delta) {
    const count = slices(state.series).length;
    state.slice = Math.max(0, Math.min(count - 1, state.slice + delta));
    show();
    drawOverlays();
  }

  function setZoom(factor) {
    state.zoom = Math.max(0.1, Math.min(20, state.zoom * factor));
    drawOverlays();
  }

  function setPreset(name) {
    state.window = name === "default" ? null : config.presets[name].slice();
    show();
    drawOverlays();
  }

  thumbs.forEach((thumb) => thumb.addEventListener("click", () => selectSeries(Number(thumb.dataset.series))));
  document.querySelectorAll("[data-preset]").forEach((button) => button.addEventListener("click", () => setPreset(button.dataset.preset)));
  document.querySelector('[data-action="reset"]').addEventListener("click", () => {
    Object.assign(state, { zoom: 1, panX: 0, panY: 0, window: null });
    show();
    drawOverlays();
  });

  stage.addEventListener("wheel", (event) => {
    event.preventDefault();
    if (event.ctrlKey) setZoom(event.deltaY < 0 ? 1.1 : 1 / 1.1);
    else moveSlice(event.deltaY > 0 ? 1 : -1);
  }, { passive: false });

  stage.addEventListener("keydown", (event) => {
    const actions = {
      ArrowDown: () => moveSlice(1), ArrowRight: () => moveSlice(1), PageDown: () => moveSlice(10),
      ArrowUp: () => moveSlice(-1), ArrowLeft: () => moveSlice(-1), PageUp: () => moveSlice(-10),
      Home: () => moveSlice(-Infinity), End: () => moveSlice(Infinity),
      "+": () => setZoom(1.2), "=": () => setZoom(1.2), "-": () => setZoom(1 / 1.2),
      1: () => setPreset("lung"), 2: () => setPreset("bone"), 3: () => setPreset("brain"), 4: () => setPreset("abdomen"),
      0: () => setPreset("default"),
    };
    if (actions[event.key]) {
      event.preventDefault();
      actions[event.key]();
    }
  });

  let drag = null;
  stage.addEventListener("pointerdown", (event) => {
    stage.focus();
    stage.setPointerCapture(event.pointerId);
    const pan = event.shiftKey || event.button === 1 || event.button === 2;
    drag = { pan, x: event.clientX, y: event.clientY, window: (state.window || state.shownWindow || [128, 256]).slice(), panX: state.panX, panY: state.panY };
  });
  stage.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (drag.pan) {
      state.panX = drag.panX + dx;
      state.panY = drag.panY + dy;
    } else {
      const sensitivity = Math.max(1, drag.window[1] / 256);
      state.window = [drag.window[0] + dy * sensitivity, Math.max(1, drag.window[1] + dx * sensitivity)];
      show();
    }
    drawOverlays();
  });
  const endDrag = () => { drag = null; };
  stage.addEventListener("pointerup", endDrag);
  stage.addEventListener("pointercancel", endDrag);
  stage.addEventListener("contextmenu", (event) => event.preventDefault());
  window.addEventListener("resize", () => show());

  selectSeries(0);
  stage.focus();
})();
