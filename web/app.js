// The demo clinic page: deep-chat talking to the assistant's REST channel.
// Message text is only ever given to deep-chat as `text` (rendered escaped)
// or set with textContent; the HTML messages are the offered buttons, the
// "Did this help?" buttons and an answer's sources, built here from escaped
// titles and payloads and, for the source links, escaped http(s) addresses only.
import "./node_modules/deep-chat/dist/deepChat.bundle.js";

const config = await (await fetch("config.json")).json();

// One conversation per browser tab session; a reload continues it.
const conversationKey = "clinic-assistant-conversation";
let sender = sessionStorage.getItem(conversationKey) || `web-${crypto.randomUUID()}`;
sessionStorage.setItem(conversationKey, sender);

// After "delete my conversation" the page starts a new one: nothing links them.
function newConversation() {
  sender = `web-${crypto.randomUUID()}`;
  sessionStorage.setItem(conversationKey, sender);
}

document.getElementById("clinic-name").textContent = config.clinicName;
const phoneLink = document.getElementById("clinic-phone");
phoneLink.textContent = config.clinicPhone;
phoneLink.href = `tel:${config.clinicPhone.replace(/[^0-9+]/g, "")}`;

// Every text the page shows comes from the assistant's content (content/page.yml),
// with the clinic's details already filled in; the page fills in its own {placeholders}.
const texts = config.texts;
for (const id of ["heading", "welcome", "disclaimer"]) {
  document.getElementById(id).textContent = texts[id];
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (placeholder, name) => (Object.hasOwn(values, name) ? values[name] : placeholder));
}

function showBanner(kind, title, text) {
  const banner = document.getElementById("banner");
  banner.className = `banner ${kind}`;
  banner.dataset.kind = kind;
  document.getElementById("banner-title").textContent = title;
  document.getElementById("banner-text").textContent = text;
  banner.hidden = false;
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Only web addresses (a DOI link is one) become links: never javascript: or data:.
function openableUrl(value) {
  if (typeof value !== "string") return null;
  try {
    const { protocol } = new URL(value);
    return protocol === "https:" || protocol === "http:" ? value : null;
  } catch {
    return null;
  }
}

// An answer's sources: each a link opening in a new tab, or its title alone for
// a document the clinic supplied (no address), in the page's "Sources: {sources}".
function sourcesHtml(sources) {
  const items = sources.map((source) => {
    const title = escapeHtml(source.title);
    const url = openableUrl(source.url);
    if (!url) return `<span class="source">${title}</span>`;
    return `<a class="source" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${title}</a>`;
  });
  return `<p class="answer-sources">${fill(escapeHtml(texts.sources), { sources: items.join("; ") })}</p>`;
}

// Button titles waiting to be clicked, mapped to the payload to send instead.
let buttonPayloads = {};

// "Did this help?" under each answer: its buttons' payloads name the answer's
// topic, so each pair rates its own answer (two answers, two pairs).
const ratingIntents = { "/answer_helped": "rating_yes_label", "/answer_not_helped": "rating_no_label" };

function ratingIntent(payload) {
  return String(payload).split("{")[0];
}

function isRating(buttons) {
  return buttons.every((b) => Object.hasOwn(ratingIntents, ratingIntent(b.payload)));
}

function ratingHtml(prompt, buttons) {
  const choices = buttons
    .map((b) => {
      const label = texts[ratingIntents[ratingIntent(b.payload)]];
      return `<button type="button" class="rating-button" aria-pressed="false" aria-label="${escapeHtml(label)}" data-payload="${escapeHtml(b.payload)}">${escapeHtml(b.title)}</button>`;
    })
    .join(" ");
  return `<div class="rating" role="group" aria-label="${escapeHtml(prompt)}"><span class="rating-question">${escapeHtml(prompt)}</span> ${choices}</div>`;
}

function toChatMessages(items) {
  const messages = [];
  for (const item of items) {
    if (item.buttons && item.buttons.length && isRating(item.buttons)) {
      messages.push({ role: "ai", html: ratingHtml(item.text || "", item.buttons) });
      continue;
    }
    if (item.text) messages.push({ role: "ai", text: item.text });
    if (item.buttons && item.buttons.length) {
      buttonPayloads = Object.fromEntries(item.buttons.map((b) => [b.title, b.payload]));
      const buttons = item.buttons
        .map((b) => `<button class="deep-chat-button deep-chat-suggestion-button">${escapeHtml(b.title)}</button>`)
        .join(" ");
      messages.push({ role: "ai", html: `<div class="clarify-options">${buttons}</div>` });
    }
    const custom = item.custom;
    if (!custom) continue;
    if (custom.kind === "answer" && custom.sources && custom.sources.length) {
      messages.push({ role: "ai", html: sourcesHtml(custom.sources) });
    } else if (custom.kind === "emergency") {
      const banner = texts.emergency_banners[custom.category] || config.unknownEmergencyBanner;
      showBanner("emergency", banner.title, banner.text);
    } else if (custom.kind === "handoff") {
      const banner = texts.handoff_banner;
      showBanner("handoff", banner.title, fill(banner.text, { handoff_id: custom.handoff_id }));
    } else if (custom.kind === "smalltalk" && custom.act === "forgotten") {
      newConversation();
    }
  }
  return messages;
}

async function ask(text) {
  const message = buttonPayloads[text] || text;
  buttonPayloads = {};
  return send(message);
}

async function send(message) {
  const response = await fetch(config.assistantUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sender, message }),
  });
  if (response.status === 429) {
    // Over the rate limit: the polite text, not the server's error. The
    // server never refuses an emergency, so this never hides one.
    return [{ role: "ai", text: texts.rate_limited }];
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    const text = problem.error ? fill(texts.request_refused, { error: problem.error }) : texts.request_failed;
    return [{ role: "ai", text }];
  }
  return toChatMessages(await response.json());
}

const chat = document.getElementById("chat");
chat.introMessage = { text: texts.intro };
chat.textInput = { placeholder: { text: texts.input_placeholder }, characterLimit: config.maxMessageChars };
chat.style = "border-radius: 10px; width: 100%; height: 60vh; min-height: 22rem;";
chat.connect = {
  handler: async (body, signals) => {
    const text = (body.messages || []).map((m) => m.text || "").join(" ").trim();
    try {
      await signals.onResponse(await ask(text));
    } catch {
      await signals.onResponse({ text: texts.unreachable });
    }
  },
};

// A rating is sent when its button is pressed (mouse, Enter or Space); the
// pressed one stays marked, and the assistant's thanks appears below.
chat.htmlClassUtilities = {
  "rating-button": {
    events: {
      click: async (event) => {
        const button = event.target;
        const group = button.parentElement;
        if (!group || group.dataset.rated) return;
        group.dataset.rated = "true";
        for (const choice of group.querySelectorAll("button")) {
          choice.setAttribute("aria-pressed", String(choice === button));
          choice.disabled = true;
        }
        button.style.backgroundColor = "#1f5f8b";
        button.style.color = "#ffffff";
        let reply;
        try {
          reply = await send(button.dataset.payload);
        } catch {
          reply = [{ role: "ai", text: texts.unreachable }];
        }
        for (const message of reply) chat.addMessage(message);
      },
    },
    styles: {
      default: {
        font: "inherit",
        padding: "0.3rem 0.9rem",
        margin: "0 0.2rem",
        border: "1px solid #1f5f8b",
        borderRadius: "999px",
        backgroundColor: "#ffffff",
        color: "#1f5f8b",
        cursor: "pointer",
      },
      hover: { backgroundColor: "#e8f1f8" },
    },
  },
};
