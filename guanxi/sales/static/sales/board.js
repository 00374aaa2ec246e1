/* The kanban board: drag a card to another column to move the deal to that stage.
 *
 * The move is a POST to the board's move endpoint with the card's version; the server moves it
 * through the sales service (the version check included). A card someone else changed meanwhile
 * is not overwritten: the answer carries the card as it is now, which is put back where it
 * belongs, with a message. A lost stage asks for the loss reason first. Vanilla JS, no library.
 */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;
  var texts = JSON.parse(document.getElementById("board-texts").textContent);
  var message = document.getElementById("board-message");
  var dragged = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
      return match ? decodeURIComponent(match[1]) : "";
    }
  }

  function say(text, kind) {
    message.textContent = text;
    message.className = "alert alert-" + (kind || "info");
  }

  function column(stageId) {
    return board.querySelector('[data-drop="' + stageId + '"]');
  }

  function place(card, stageId) {
    var target = column(stageId);
    if (!target) { card.remove(); return; }
    var more = target.querySelector(".board-more");
    target.insertBefore(card, more || null);
  }

  function fromHtml(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function updateHeads(columns) {
    Object.keys(columns || {}).forEach(function (stageId) {
      var head = document.getElementById("column-head-" + stageId);
      if (!head) return;
      head.querySelector("[data-count]").textContent = columns[stageId].count;
      head.querySelector("[data-totals]").innerHTML = columns[stageId].totals;
    });
  }

  function send(card, stageId, lossReason) {
    var body = new URLSearchParams(board.dataset.boardQuery);
    body.set("stage", stageId);
    body.set("version", card.dataset.version);
    if (lossReason) body.set("loss_reason", lossReason);
    var origin = card.dataset.stage;
    card.classList.add("saving");
    place(card, stageId);
    fetch(board.dataset.moveUrl.replace("{id}", card.dataset.card), {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      var data = result.data;
      card.classList.remove("saving");
      if (data.card) {
        // the card as the server has it now (moved, or as someone else left it)
        var fresh = fromHtml(data.card);
        card.replaceWith(fresh);
        place(fresh, data.stage);
        if (data.stale) {
          fresh.classList.add("flash");
          fresh.scrollIntoView({ block: "nearest" });
        }
        updateHeads(data.columns);
      } else {
        place(card, origin);
      }
      if (result.status === 200) say(data.message, "success");
      else say(data.error || texts.failed, result.status === 409 ? "warning" : "danger");
    }).catch(function () {
      card.classList.remove("saving");
      place(card, origin);
      say(texts.network, "danger");
    });
  }

  function askLossReason(onReason, onCancel) {
    var modalElement = document.getElementById("loss-modal");
    var form = document.getElementById("loss-form");
    var input = document.getElementById("loss-reason-input");
    var modal = window.bootstrap.Modal.getOrCreateInstance(modalElement);
    var answered = false;
    input.value = "";
    input.classList.remove("is-invalid");
    form.onsubmit = function (event) {
      event.preventDefault();
      if (!input.value.trim()) { input.classList.add("is-invalid"); input.focus(); return; }
      answered = true;
      modal.hide();
      onReason(input.value.trim());
    };
    modalElement.addEventListener("hidden.bs.modal", function handler() {
      modalElement.removeEventListener("hidden.bs.modal", handler);
      if (!answered) onCancel();
    });
    modalElement.addEventListener("shown.bs.modal", function focus() {
      modalElement.removeEventListener("shown.bs.modal", focus);
      input.focus();
    });
    modal.show();
  }

  function move(card, section) {
    var stageId = section.dataset.stageId;
    if (stageId === card.dataset.stage) return;
    if (section.dataset.stageKind === "lost") {
      askLossReason(function (reason) { send(card, stageId, reason); }, function () {
        say(texts.cancelled, "secondary");
      });
      return;
    }
    send(card, stageId, "");
  }

  // Without a mouse: each movable card's "Move to" list does the same as a drop.
  board.addEventListener("change", function (event) {
    var select = event.target.closest("[data-move-select]");
    if (!select) return;
    var card = select.closest(".board-card");
    var section = board.querySelector('.board-column[data-stage-id="' + select.value + '"]');
    select.value = card.dataset.stage;
    if (section) move(card, section);
  });

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card-movable");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.card);
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
    dragged = null;
  });
  board.addEventListener("dragover", function (event) {
    var section = event.target.closest(".board-column");
    if (!section || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach(function (el) {
      if (el !== section) el.classList.remove("drop-target");
    });
    section.classList.add("drop-target");
  });
  board.addEventListener("drop", function (event) {
    var section = event.target.closest(".board-column");
    if (!section || !dragged) return;
    event.preventDefault();
    section.classList.remove("drop-target");
    var card = dragged;
    dragged.classList.remove("dragging");
    dragged = null;
    move(card, section);
  });
})();
