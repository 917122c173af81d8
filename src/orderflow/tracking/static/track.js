// Live tracking page: WebSocket first, SSE as the fallback; no framework, no network beyond
// this server. Events are applied in sequence order; duplicates are ignored.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("tracking-config").textContent);
  var last = cfg.lastSequence;
  var points = { hubs: cfg.hubs || [], destination: cfg.destination, courier: cfg.courier };
  var STATUS = {
    "order.placed": "pending", "order.confirmed": "confirmed", "order.processing": "processing",
    "order.packed": "packed", "order.out_for_delivery": "out_for_delivery",
    "order.delivered": "delivered", "order.cancelled": "cancelled", "order.refunded": "refunded"
  };
  var connection = document.getElementById("connection");
  var ws = null, es = null, attempts = 0, wsFailures = 0, stopped = false;
  var forceSse = new URLSearchParams(location.search).get("transport") === "sse";

  function setState(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  function fmtTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function formatTimes() {
    document.querySelectorAll(".when time, #eta time").forEach(function (t) {
      t.textContent = fmtTime(t.getAttribute("datetime"));
    });
  }

  function addToTimeline(msg) {
    var li = document.createElement("li");
    li.dataset.sequence = msg.sequence;
    li.dataset.event = msg.event;
    li.className = "new";
    var title = document.createElement("p");
    title.className = "title";
    title.textContent = msg.title || msg.event;
    li.appendChild(title);
    if (msg.description) {
      var desc = document.createElement("p");
      desc.className = "desc";
      desc.textContent = msg.description;
      li.appendChild(desc);
    }
    var when = document.createElement("p");
    when.className = "when";
    var time = document.createElement("time");
    time.setAttribute("datetime", msg.timestamp);
    time.textContent = fmtTime(msg.timestamp);
    when.appendChild(time);
    li.appendChild(when);
    document.getElementById("timeline").appendChild(li);
  }

  function setEta(iso) {
    if (!iso) return;
    var dd = document.getElementById("eta");
    dd.textContent = "";
    var t = document.createElement("time");
    t.setAttribute("datetime", iso);
    t.textContent = fmtTime(iso);
    dd.appendChild(t);
  }

  function apply(msg) {
    if (!msg || typeof msg.sequence !== "number" || msg.sequence <= last) return;
    last = msg.sequence;
    var data = msg.data || {};
    if (msg.event !== "order.location") addToTimeline(msg);
    var status = STATUS[msg.event];
    if (status) {
      var el = document.getElementById("status");
      el.dataset.status = status;
      el.textContent = cfg.statusLabels[status] || status;
      document.getElementById("map-card").hidden = status !== "out_for_delivery";
    }
    setEta(data.eta || data.estimatedDelivery);
    if (typeof data.lat === "number" && typeof data.lng === "number") {
      points.courier = { lat: data.lat, lng: data.lng, label: "Courier" };
      document.getElementById("map-caption").textContent =
        "Courier located at " + data.lat.toFixed(4) + ", " + data.lng.toFixed(4) +
        " (" + fmtTime(msg.timestamp) + ")";
      if (msg.event === "order.location" || msg.event === "order.out_for_delivery") {
        document.getElementById("map-card").hidden = false;
      }
    }
    drawMap();
  }

  // ---------------------------------------------------------------- map (inline SVG)
  var W = 400, H = 240, PAD = 28, NS = "http://www.w3.org/2000/svg";

  function projection() {
    var all = points.hubs.slice();
    if (points.destination) all.push(points.destination);
    if (points.courier) all.push(points.courier);
    if (!all.length) return null;
    var minLat = Infinity, maxLat = -Infinity, minLng = Infinity, maxLng = -Infinity;
    all.forEach(function (p) {
      minLat = Math.min(minLat, p.lat); maxLat = Math.max(maxLat, p.lat);
      minLng = Math.min(minLng, p.lng); maxLng = Math.max(maxLng, p.lng);
    });
    var spanLat = Math.max(maxLat - minLat, 0.002), spanLng = Math.max(maxLng - minLng, 0.002);
    var scale = Math.min((W - 2 * PAD) / spanLng, (H - 2 * PAD) / spanLat);
    var cx = (minLng + maxLng) / 2, cy = (minLat + maxLat) / 2;
    return function (p) {
      return [W / 2 + (p.lng - cx) * scale, H / 2 - (p.lat - cy) * scale];
    };
  }

  function pin(group, p, cls, label, project) {
    var xy = project(p);
    var c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", xy[0].toFixed(1));
    c.setAttribute("cy", xy[1].toFixed(1));
    c.setAttribute("r", cls === "pin-courier" ? 8 : 7);
    c.setAttribute("class", cls);
    var title = document.createElementNS(NS, "title");
    title.textContent = label;
    c.appendChild(title);
    group.appendChild(c);
    var t = document.createElementNS(NS, "text");
    var right = xy[0] > W - 70;
    t.setAttribute("x", (right ? xy[0] - 10 : xy[0] + 10).toFixed(1));
    if (right) t.setAttribute("text-anchor", "end");
    t.setAttribute("y", (xy[1] + (cls === "pin-courier" ? -12 : 4)).toFixed(1));
    t.setAttribute("class", "pin-label");
    t.textContent = label;
    group.appendChild(t);
    return xy;
  }

  function drawMap() {
    var project = projection();
    if (!project) return;
    ["hubs", "destination", "courier"].forEach(function (id) {
      document.getElementById(id).textContent = "";
    });
    var route = [];
    points.hubs.forEach(function (h) {
      route.push(pin(document.getElementById("hubs"), h, "pin-hub", h.label, project));
    });
    if (points.courier) {
      route.push(pin(document.getElementById("courier"), points.courier, "pin-courier", "Courier", project));
      document.getElementById("courier").dataset.lat = points.courier.lat;
      document.getElementById("courier").dataset.lng = points.courier.lng;
    }
    if (points.destination) {
      route.push(pin(document.getElementById("destination"), points.destination, "pin-home", "You", project));
    }
    document.getElementById("route").setAttribute("points", route.map(function (xy) {
      return xy[0].toFixed(1) + "," + xy[1].toFixed(1);
    }).join(" "));
  }

  // ---------------------------------------------------------------- transports
  function backoff() {
    attempts += 1;
    return Math.min(1000 * Math.pow(2, attempts - 1), 15000);
  }

  function connectWs() {
    if (stopped) return;
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var url = proto + "//" + location.host + cfg.wsPath + "?token=" +
      encodeURIComponent(cfg.token) + "&after=" + last;
    var opened = false;
    try { ws = new WebSocket(url); } catch (e) { connectSse(); return; }
    ws.onopen = function () { opened = true; setState("live", "Live"); };
    ws.onmessage = function (e) {
      attempts = 0; wsFailures = 0;
      setState("live", "Live");
      var msg = JSON.parse(e.data);
      if (msg.event !== "heartbeat") apply(msg);
    };
    ws.onclose = function (e) {
      ws = null;
      if (e.code === 4401 || e.code === 4404) {
        stopped = true;
        setState("error", e.code === 4401 ? "Sign-in expired" : "Not available");
        return;
      }
      if (!opened) wsFailures += 1;
      if (wsFailures >= 2) { connectSse(); return; }
      setState("reconnecting", "Reconnecting…");
      setTimeout(connectWs, backoff());
    };
  }

  function connectSse() {
    if (stopped || es) return;
    var url = cfg.ssePath + "?token=" + encodeURIComponent(cfg.token) + "&after=" + last;
    es = new EventSource(url);
    es.onopen = function () { setState("live", "Live"); };
    es.onmessage = function (e) { setState("live", "Live"); apply(JSON.parse(e.data)); };
    es.onerror = function () {
      // EventSource reconnects by itself, sending Last-Event-ID.
      setState("reconnecting", "Reconnecting…");
      if (es.readyState === EventSource.CLOSED) {
        es = null;
        setTimeout(connectSse, backoff());
      }
    };
  }

  formatTimes();
  drawMap();
  setState("connecting", "Connecting…");
  if (forceSse || !("WebSocket" in window)) connectSse(); else connectWs();
  window.orderflowTracking = { lastSequence: function () { return last; } };
})();
