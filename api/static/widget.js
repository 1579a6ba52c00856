/*
 * partnermatch in-app widget. A host page embeds it with
 *   <script src="https://HOST/widget.js" data-key="WIDGET_KEY" data-context="what the customer builds"></script>
 * Optional: data-country="DE", data-languages="de,en", data-top-k="3",
 * data-target="#css-selector" (where to render; default: right after the script tag).
 *
 * It asks GET /v1/widget/recommendations on the script's own origin and renders the partner
 * suggestions in a shadow root with its own styles: the host page's CSS cannot reach in and the
 * widget needs none of the host's JS. A dismiss is remembered (localStorage, per context).
 * The host element's data-state says what happened: loading, ready, empty, error, dismissed.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var settings = script.dataset;
  var key = settings.key || "";
  var context = (settings.context || document.title || "").trim().slice(0, 1000);
  var apiOrigin = new URL(script.src, document.baseURI).origin;
  var dismissedSlot = "partnermatch.widget.dismissed:" + context;

  var STYLE = [
    ":host { all: initial; display: block; margin: 1rem 0; }",
    ":host([hidden]) { display: none; }",
    ".box { font: 15px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1c2430;",
    "  background: #fff; border: 1px solid #d8dde5; border-radius: 10px; padding: 12px 14px;",
    "  max-width: 720px; box-sizing: border-box; }",
    ".top { display: flex; align-items: center; justify-content: space-between; gap: 8px; }",
    "h2 { font-size: 16px; margin: 0; }",
    ".dismiss { font: inherit; font-size: 20px; line-height: 1; border: 1px solid transparent;",
    "  background: none; color: #5b6575; border-radius: 6px; min-width: 32px; min-height: 32px; cursor: pointer; }",
    ".dismiss:hover { background: #f3f5f8; }",
    "button:focus-visible { outline: 3px solid #f2b705; outline-offset: 2px; }",
    "ul.partners { list-style: none; margin: 8px 0 0; padding: 0; display: grid; gap: 8px; }",
    "li.partner { border-top: 1px solid #eef1f5; padding-top: 8px; }",
    ".name { font-weight: 700; }",
    ".type { color: #5b6575; font-size: 13px; }",
    ".specialisms { margin: 2px 0 0; font-size: 13px; color: #3b4452; }",
    "ul.assets { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0 0; padding: 0; }",
    "ul.assets li { font-size: 12px; padding: 2px 8px; border-radius: 99px; background: #eaf1fb;",
    "  border: 1px solid #bcd0ee; }",
    ".foot { margin: 8px 0 0; font-size: 11px; color: #5b6575; }",
  ].join("\n");

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function humanise(id) {
    if (id === "isv") return "ISV";
    var text = String(id || "").replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function remembered() {
    try {
      return window.localStorage.getItem(dismissedSlot) === "1";
    } catch (error) {
      return false;
    }
  }

  function remember() {
    try {
      window.localStorage.setItem(dismissedSlot, "1");
    } catch (error) {
      // storage blocked: the dismiss lasts for this page view only
    }
  }

  var host = document.createElement("partnermatch-suggestions");
  var target = settings.target ? document.querySelector(settings.target) : null;
  if (target) target.appendChild(host);
  else script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow({ mode: "open" });
  var style = make("style");
  style.textContent = STYLE;
  root.appendChild(style);

  function finish(state, reason) {
    host.dataset.state = state;
    if (state !== "ready") host.hidden = true;
    if (reason) console.warn("partnermatch widget: " + reason);
  }

  function partnerItem(partner) {
    var item = make("li", "partner");
    item.appendChild(make("div", "name", partner.name));
    var meta = humanise(partner.partner_type);
    if (partner.tier) meta += " · " + humanise(partner.tier) + " partner";
    item.appendChild(make("div", "type", meta));
    if (partner.specialisms && partner.specialisms.length) {
      item.appendChild(make("p", "specialisms", partner.specialisms.slice(0, 4).join(" · ")));
    }
    var assets = partner.matching_assets || [];
    if (assets.length) {
      var list = make("ul", "assets");
      list.setAttribute("aria-label", "Matching templates and integrations");
      assets.forEach(function (asset) {
        var parts = asset.split(":");
        var kind = parts.length > 1 ? humanise(parts.shift()) : "Asset";
        list.appendChild(make("li", "asset", kind + ": " + parts.join(":")));
      });
      item.appendChild(list);
    }
    return item;
  }

  function render(partners) {
    var box = make("section", "box");
    box.setAttribute("aria-labelledby", "pm-title");
    var top = make("div", "top");
    var title = make("h2", "", "Partners who can help with this");
    title.id = "pm-title";
    var dismiss = make("button", "dismiss", "×");
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", "Dismiss partner suggestions");
    dismiss.addEventListener("click", function () {
      remember();
      finish("dismissed");
    });
    top.appendChild(title);
    top.appendChild(dismiss);
    box.appendChild(top);
    var list = make("ul", "partners");
    partners.forEach(function (partner) {
      list.appendChild(partnerItem(partner));
    });
    box.appendChild(list);
    box.appendChild(make("p", "foot", "Suggested by partnermatch from public partner profiles."));
    root.appendChild(box);
    finish("ready");
  }

  if (remembered()) return finish("dismissed");
  if (!key || !context) return finish("error", "data-key and data-context are required");
  host.dataset.state = "loading";

  var params = new URLSearchParams({ context: context });
  if (settings.country) params.set("country", settings.country);
  (settings.languages || "")
    .split(/[,;]/)
    .map(function (code) { return code.trim(); })
    .filter(Boolean)
    .forEach(function (code) { params.append("languages", code); });
  if (settings.topK) params.set("top_k", settings.topK);

  fetch(apiOrigin + "/v1/widget/recommendations?" + params.toString(), {
    headers: { Authorization: "Bearer " + key },
    credentials: "omit",
    mode: "cors",
  })
    .then(function (response) {
      return response.json().then(
        function (body) { return { ok: response.ok, body: body }; },
        function () { return { ok: false, body: { detail: response.status + " " + response.statusText } }; }
      );
    })
    .then(function (answer) {
      if (!answer.ok) return finish("error", (answer.body && answer.body.detail) || "request refused");
      if (!answer.body.partners.length) return finish("empty");
      render(answer.body.partners);
    })
    .catch(function (error) {
      // a refused cross-origin request lands here: this origin is not allowed to embed the widget
      finish("error", "cannot load suggestions from " + apiOrigin + " (" + error.message + ")");
    });
})();
