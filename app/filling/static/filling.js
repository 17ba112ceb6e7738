// The filling page: send a typed, wedge-scanned or photographed code to the interlock and
// show the verdict full screen. The API does the checking; this only shows what it says.
(function () {
  "use strict";
  var API = "/api/v1/fillings";
  var verdict = document.getElementById("verdict");
  var title = verdict.querySelector(".verdict-title");
  var codeLine = verdict.querySelector(".verdict-code");
  var reasonList = verdict.querySelector(".verdict-reasons");
  var hint = verdict.querySelector(".verdict-hint");
  var codeInput = document.getElementById("code");
  var photo = document.getElementById("photo");
  var mass = document.getElementById("net-mass");
  var today = document.getElementById("today");
  var heldList = document.getElementById("held-list");
  var heldFill = null;  // the fill the last verdict put on hold: a tap goes to its re-weigh
  var onTap = null;  // where a tap on an error verdict leads: sign in again, or reload
  // A typed scan whose answer never came (no signal, cut off): it may have been stored, so
  // the same code sent again keeps its event id and the server answers it once.
  var unanswered = null;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var english = verdict.dataset.lang === "en";
  var text = verdict.dataset;
  var errorWords = JSON.parse(text.errors);

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  function precheck() {
    var items = {};
    document.querySelectorAll(".precheck input[type=checkbox]").forEach(function (box) {
      items[box.name] = box.checked;
    });
    return items;
  }

  function show(kind, heading, code, reasons) {
    verdict.className = "verdict " + kind;
    verdict.dataset.state = kind;
    title.textContent = heading;
    codeLine.textContent = code || "";
    reasonList.innerHTML = "";
    (reasons || []).forEach(function (r) {
      var li = document.createElement("li");
      li.dataset.code = r.code;
      li.textContent = english ? r.message_en : r.message;
      if (!english) {
        var small = document.createElement("small");
        small.textContent = r.message_en;
        li.appendChild(small);
      }
      reasonList.appendChild(li);
    });
    hint.textContent = kind === "busy" ? "" : text.dismiss;
    verdict.hidden = false;
  }

  // A tap on an overfill verdict opens that cylinder's re-weigh; anything else, the next scan.
  function hide(toReweigh) {
    var reweigh = toReweigh && heldFill && document.getElementById("reweigh-" + heldFill);
    if (toReweigh && onTap) { onTap(); return; }
    verdict.hidden = true;
    heldFill = null;
    if (reweigh) {
      reweigh.scrollIntoView({block: "center"});
      reweigh.focus();
    } else {
      codeInput.focus();
    }
  }

  function render(status, body) {
    var items = body.results || [body];
    if (status === 201 || status === 409) {
      var refused = items.filter(function (i) { return !i.allowed; });
      var reasons = [];
      refused.forEach(function (i) { reasons = reasons.concat(i.reasons || []); });
      var codes = items.map(function (i) {
        return (i.cylinder && i.cylinder.display_code) || i.code || i.text;
      }).join(" · ");
      var held = items.filter(function (i) { return i.fill && i.fill.on_hold; });
      if (refused.length) { show("refuse", text.refuse, codes, reasons); }
      else if (held.length) {
        show("warn", text.overfill, codes, []);
        heldFill = held[0].fill.event_id;
        hint.textContent = text.reweigh;
      }
      else { show("allow", text.allow, codes, []); }
      return;
    }
    var error = (body && body.error) || {};
    var message = errorWords.failed.replace("%(status)s", status);
    if (error.code === "no_code_found") { message = text.nocode; }
    else if (/image/.test(error.code || "")) { message = text.badimage; }
    else if (error.details && error.details.net_mass_kg) { message = errorWords.net_mass_kg; }
    else if (errorWords[error.code]) { message = errorWords[error.code]; }
    if (error.code === "unauthorized") {
      onTap = function () { window.location.href = text.login; };
    } else if (error.code === "csrf_failed") {
      onTap = function () { window.location.reload(); };
    }
    show("refuse", text.error, "", [{code: error.code || "error", message: message,
                                     message_en: error.message || ""}]);
  }

  function refresh(box) {
    fetch(box.dataset.src, {credentials: "same-origin"})
      // a signed-out session is redirected to the login page: that is no list
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () {});
  }

  // The held list only changes with a new hold; left alone, a mass typed there is kept.
  function refreshLists() {
    refresh(today);
    if (heldFill) { refresh(heldList); }
  }

  function send(body, isForm) {
    heldFill = null;
    onTap = null;
    show("busy", text.busy, "", []);
    var headers = {"X-CSRFToken": csrf, "Accept": "application/json"};
    var typed = isForm ? null : {code: body.code, eventId: body.event_id};
    if (!isForm) { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    return fetch(API, {method: "POST", headers: headers, body: body, credentials: "same-origin"})
      .then(function (resp) {
        unanswered = null;
        return resp.json().catch(function () { return {}; })
          .then(function (json) { render(resp.status, json); });
      })
      .catch(function () {
        unanswered = typed;
        show("refuse", text.error, "", [{code: "offline", message: text.offline,
                                         message_en: "No connection"}]);
      })
      .then(refreshLists);
  }

  function massValue() {
    var value = mass && mass.value.trim();
    return value ? Number(value) : null;
  }

  // The mass and the pre-fill check belong to one cylinder: once sent, back to the defaults,
  // so the next cylinder is never sent with the last one's scale reading.
  function resetCylinderFields() {
    if (mass) { mass.value = ""; }
    document.querySelectorAll(".precheck input[type=checkbox]").forEach(function (box) {
      box.checked = box.defaultChecked;
    });
  }

  document.getElementById("code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = codeInput.value.trim();
    if (!code) { return; }
    codeInput.value = "";
    var again = unanswered && unanswered.code === code;
    var body = {code: code, precheck: precheck(), event_id: again ? unanswered.eventId : uuid()};
    var net = massValue();
    if (net !== null) { body.net_mass_kg = net; }
    resetCylinderFields();
    send(body, false);
  });

  photo.addEventListener("change", function () {
    if (!photo.files.length) { return; }
    var form = new FormData();
    form.append("image", photo.files[0]);
    form.append("event_id", uuid());
    var net = massValue();
    if (net !== null) { form.append("net_mass_kg", String(net)); }
    var items = precheck();
    Object.keys(items).forEach(function (k) { form.append(k, items[k] ? "true" : "false"); });
    photo.value = "";
    resetCylinderFields();
    send(form, true);
  });

  verdict.addEventListener("click", function () {
    if (verdict.dataset.state !== "busy") { hide(true); }
  });
  // A keyboard-wedge scanner types into the focused field: a new scan clears the verdict.
  document.addEventListener("keydown", function (event) {
    if (verdict.hidden || verdict.dataset.state === "busy") { return; }
    if (event.key === "Escape" || event.key === "Enter" || event.key.length === 1) {
      hide(false);
    }
  });
})();
