/* WintEHR live updates: one websocket per page to /ws/live/ (clinical/realtime/README.md).
 *
 * Elements declare what they show:
 *   data-live-topic="chart:123 pharmacy-queue"   topics (space-separated); on a change the element
 *                                                gets the event `wintehr:changed` (htmx.trigger),
 *                                                so `hx-trigger="wintehr:changed"` re-fetches it
 *   data-live-since="N"                          the topic's sequence when the page was rendered
 *                                                ({% live_topic %} writes both attributes)
 *   data-live-presence="chart:123"               filled with who else has the topic open
 * Reconnects (with back-off) resume each topic from the last sequence seen; when the server no
 * longer has the missed events it says "reload", which is passed on as `wintehr:changed` too
 * (event.detail.reload = true).
 */
(function () {
  "use strict";
  var DEBOUNCE_MS = 100;
  var socket = null;
  var attempts = 0;
  var me = "";
  var topics = {}; // topic -> {seq: number|null}
  var timers = new WeakMap();

  function wanted() {
    var found = {};
    document.querySelectorAll("[data-live-topic]").forEach(function (el) {
      var names = el.getAttribute("data-live-topic").split(/\s+/);
      // a sequence belongs to one topic: data-live-since counts only on single-topic elements
      var since = names.length === 1 ? parseInt(el.getAttribute("data-live-since") || "", 10) : NaN;
      names.forEach(function (t) {
        if (!t) return;
        if (!(t in found) || (!isNaN(since) && (found[t] === null || since < found[t]))) {
          found[t] = isNaN(since) ? (found[t] === undefined ? null : found[t]) : since;
        }
      });
    });
    document.querySelectorAll("[data-live-presence]").forEach(function (el) {
      var t = el.getAttribute("data-live-presence");
      if (t && !(t in found)) found[t] = null;
    });
    return found;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function subscribe(topic) {
    var message = { action: "subscribe", topic: topic };
    if (topics[topic].seq !== null) message.since = topics[topic].seq;
    send(message);
  }

  function sync() {
    var now = wanted();
    Object.keys(now).forEach(function (t) {
      if (!(t in topics)) {
        topics[t] = { seq: now[t] };
        subscribe(t);
      }
    });
    Object.keys(topics).forEach(function (t) {
      if (!(t in now)) {
        delete topics[t];
        send({ action: "unsubscribe", topic: t });
      }
    });
  }

  function elementsOf(topic) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-live-topic]"), function (el) {
      return el.getAttribute("data-live-topic").split(/\s+/).indexOf(topic) >= 0;
    });
  }

  function changed(topic, detail) {
    elementsOf(topic).forEach(function (el) {
      clearTimeout(timers.get(el));
      timers.set(el, setTimeout(function () {
        if (window.htmx) window.htmx.trigger(el, "wintehr:changed", detail);
        else el.dispatchEvent(new CustomEvent("wintehr:changed", { bubbles: true, detail: detail }));
      }, DEBOUNCE_MS));
    });
  }

  function presence(message) {
    var others = message.viewers.filter(function (v) { return v.username !== me; });
    var unnamed = Math.max(0, (message.total || 0) - 1 - others.length); // the list is capped
    var text = others.map(function (v) { return v.name; }).join(", ");
    if (unnamed > 0) text += (text ? " and " : "") + unnamed + " more";
    document.querySelectorAll("[data-live-presence]").forEach(function (el) {
      if (el.getAttribute("data-live-presence") !== message.topic) return;
      var names = el.querySelector("[data-live-presence-names]") || el;
      names.textContent = text;
      el.hidden = others.length === 0 && unnamed === 0;
    });
  }

  function handle(message) {
    if (message.type === "welcome") { me = message.username; return; }
    var state = topics[message.topic];
    if (!state) return;
    if (message.type === "subscribed") {
      if (state.seq === null) state.seq = message.seq;
    } else if (message.type === "change") {
      if (state.seq !== null && message.seq <= state.seq) return;
      state.seq = message.seq;
      changed(message.topic, message);
    } else if (message.type === "reload") {
      state.seq = message.seq;
      changed(message.topic, { topic: message.topic, seq: message.seq, reload: true });
    } else if (message.type === "presence") {
      presence(message);
    } else if (message.type === "denied") {
      elementsOf(message.topic).forEach(function (el) { el.setAttribute("data-live-denied", ""); });
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/live/");
    socket.onopen = function () {
      attempts = 0;
      Object.keys(topics).forEach(subscribe);
      sync();
    };
    socket.onmessage = function (event) { handle(JSON.parse(event.data)); };
    socket.onclose = function (event) {
      socket = null;
      if (event.code === 4401) return; // signed out
      var delay = Math.min(30000, 1000 * Math.pow(2, attempts++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  function start() {
    if (!document.querySelector("[data-live-topic], [data-live-presence]")) {
      document.addEventListener("htmx:load", function once() {
        if (document.querySelector("[data-live-topic], [data-live-presence]")) {
          document.removeEventListener("htmx:load", once);
          start();
        }
      });
      return;
    }
    sync();
    connect();
    document.addEventListener("htmx:afterSettle", sync);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
