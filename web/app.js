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

// The page's language (English or Español), for the tab session too.
//
// The switch sets it, and the patient's choice goes to the assistant as
// `metadata.language` with the next message only (`pendingLanguage`, kept until
// a message carrying it has been answered). After that the page follows the
// replies: each reply says the language it is written in (`custom.language`),
// since the assistant reads the language of every message. So a patient who
// picked Español and then writes in English is understood, and answered and
// shown the page in English, without being held to the click.
const languageKey = "clinic-assistant-language";
const pendingLanguageKey = "clinic-assistant-language-pending";

function isLanguage(value) {
  return typeof value === "string" && Object.hasOwn(config.languages, value);
}

function stored(key) {
  const value = sessionStorage.getItem(key);
  return isLanguage(value) ? value : null;
}

let language = stored(languageKey) || config.defaultLanguage;
let pendingLanguage = stored(pendingLanguageKey);

// The texts of a language (content/page.yml, content/<language>/page.yml), with
// the clinic's details already filled in; the page fills in its own {placeholders}.
function textsIn(code) {
  return config.languages[isLanguage(code) ? code : language].texts;
}

// After "delete my conversation" the page starts a new one: nothing links them.
// The new conversation starts in the page's language.
function newConversation() {
  sender = `web-${crypto.randomUUID()}`;
  sessionStorage.setItem(conversationKey, sender);
  setPendingLanguage(language);
}

function setPendingLanguage(code) {
  pendingLanguage = code;
  if (code) sessionStorage.setItem(pendingLanguageKey, code);
  else sessionStorage.removeItem(pendingLanguageKey);
}

document.getElementById("clinic-name").textContent = config.clinicName;
document.getElementById("site-nav").setAttribute("aria-label", config.clinicName);
const phoneLink = document.getElementById("clinic-phone");
phoneLink.textContent = config.clinicPhone;
phoneLink.href = `tel:${config.clinicPhone.replace(/[^0-9+]/g, "")}`;

// The page's own texts, by element id and page-text key (content validation
// makes every key present in every language).
const elementTexts = {
  heading: "heading",
  welcome: "welcome",
  disclaimer: "disclaimer",
  "chat-heading": "chat_heading",
  "contact-heading": "contact_heading",
  "nav-chat": "nav_chat",
  "nav-contact": "nav_contact",
};
const chat = document.getElementById("chat");

// "Call {phone} to talk with our care team.": the phone, filled in by the
// server, becomes the page's phone link again.
function showContactText(text) {
  const line = document.getElementById("contact-text");
  const parts = text.split(config.clinicPhone);
  if (parts.length < 2) {
    line.replaceChildren(`${text} `, phoneLink);
    return;
  }
  line.replaceChildren(parts[0], phoneLink, parts.slice(1).join(config.clinicPhone));
}

// The chat's greeting and input placeholder. Once deep-chat has rendered,
// setting its properties again would rebuild it and lose the conversation (and
// what the patient is typing): they are changed in place.
let chatConfigured = false;

function configureChat(texts) {
  const intro = `<span class="page-intro" lang="${escapeHtml(language)}">${escapeHtml(texts.intro)}</span>`;
  chat.introMessage = { html: intro };
  chat.textInput = { placeholder: { text: texts.input_placeholder }, characterLimit: config.maxMessageChars };
  chatConfigured = true;
}

function showChatTexts(texts) {
  if (!chatConfigured) return; // configureChat comes next, in this language
  if (!chat.shadowRoot.querySelector("#text-input")) {
    configureChat(texts); // not rendered yet: nothing to lose
    return;
  }
  chat.setPlaceholderText(texts.input_placeholder);
  for (const intro of chat.shadowRoot.querySelectorAll(".page-intro")) {
    intro.textContent = texts.intro;
    intro.lang = language;
  }
}

// Shows the page in a language: every text of the page, the chat's greeting
// and input, the switch's state and the banner showing, if any. The chat's
// messages stay as they were written.
function showLanguage(code) {
  language = code;
  sessionStorage.setItem(languageKey, code);
  document.documentElement.lang = code;
  const texts = textsIn(code);
  for (const [id, key] of Object.entries(elementTexts)) {
    document.getElementById(id).textContent = texts[key];
  }
  document.title = texts.page_title;
  chat.setAttribute("aria-label", texts.chat_label);
  showContactText(texts.contact_text);
  for (const button of document.querySelectorAll(".language-button")) {
    button.setAttribute("aria-pressed", String(button.dataset.language === code));
  }
  showChatTexts(texts);
  if (shownBanner) showBanner(shownBanner, code);
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (placeholder, name) => (Object.hasOwn(values, name) ? values[name] : placeholder));
}

// The banner above the chat: what it is about, so that it can be shown again
// in another language when the patient switches.
let shownBanner = null;

function showBanner(about, code) {
  const { texts, unknownEmergencyBanner } = config.languages[code];
  const content =
    about.kind === "emergency"
      ? texts.emergency_banners[about.category] || unknownEmergencyBanner
      : { title: texts.handoff_banner.title, text: fill(texts.handoff_banner.text, { handoff_id: about.handoffId }) };
  shownBanner = about;
  const banner = document.getElementById("banner");
  banner.className = `banner ${about.kind}`;
  banner.dataset.kind = about.kind;
  banner.lang = code;
  document.getElementById("banner-title").textContent = content.title;
  document.getElementById("banner-text").textContent = content.text;
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
function sourcesHtml(sources, texts, code) {
  const items = sources.map((source) => {
    const title = escapeHtml(source.title);
    const url = openableUrl(source.url);
    if (!url) return `<span class="source">${title}</span>`;
    return `<a class="source" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${title}</a>`;
  });
  return `<p class="answer-sources" lang="${escapeHtml(code)}">${fill(escapeHtml(texts.sources), { sources: items.join("; ") })}</p>`;
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

function ratingHtml(prompt, buttons, texts, code) {
  const choices = buttons
    .map((b) => {
      const label = texts[ratingIntents[ratingIntent(b.payload)]];
      return `<button type="button" class="rating-button" aria-pressed="false" aria-label="${escapeHtml(label)}" data-payload="${escapeHtml(b.payload)}">${escapeHtml(b.title)}</button>`;
    })
    .join(" ");
  return `<div class="rating" role="group" lang="${escapeHtml(code)}" aria-label="${escapeHtml(prompt)}"><span class="rating-question">${escapeHtml(prompt)}</span> ${choices}</div>`;
}

// The language a reply is written in: its machine-readable items say so.
function replyLanguage(items) {
  return items.map((item) => item.custom && item.custom.language).find(isLanguage) || null;
}

function toChatMessages(items) {
  // The page follows the patient's language as the assistant read it, unless
  // the patient has just chosen one that has not gone with a message yet.
  const code = replyLanguage(items) || language;
  if (code !== language && !pendingLanguage) showLanguage(code);
  // Sources, "Did this help?" and banners in the reply's language.
  const texts = textsIn(code);
  const messages = [];
  for (const item of items) {
    if (item.buttons && item.buttons.length && isRating(item.buttons)) {
      messages.push({ role: "ai", html: ratingHtml(item.text || "", item.buttons, texts, code) });
      continue;
    }
    if (item.text) messages.push({ role: "ai", text: item.text });
    if (item.buttons && item.buttons.length) {
      buttonPayloads = Object.fromEntries(item.buttons.map((b) => [b.title, b.payload]));
      const buttons = item.buttons
        .map((b) => `<button class="deep-chat-button deep-chat-suggestion-button">${escapeHtml(b.title)}</button>`)
        .join(" ");
      messages.push({ role: "ai", html: `<div class="clarify-options" lang="${escapeHtml(code)}">${buttons}</div>` });
    }
    const custom = item.custom;
    if (!custom) continue;
    if (custom.kind === "answer" && custom.sources && custom.sources.length) {
      messages.push({ role: "ai", html: sourcesHtml(custom.sources, texts, code) });
    } else if (custom.kind === "emergency") {
      showBanner({ kind: "emergency", category: custom.category }, code);
    } else if (custom.kind === "handoff") {
      showBanner({ kind: "handoff", handoffId: custom.handoff_id }, code);
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
  const body = { sender, message };
  const chosen = pendingLanguage;
  if (chosen) body.metadata = { language: chosen };
  const response = await fetch(config.assistantUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const texts = textsIn(language);
  if (response.status === 429) {
    // Over the rate limit: the polite text, not the server's error. The
    // server never refuses an emergency, so this never hides one.
    return [{ role: "ai", text: texts.rate_limited }];
  }
  if (response.status === 413) {
    return [{ role: "ai", text: fill(texts.message_too_long, { limit: config.maxMessageChars }) }];
  }
  if (!response.ok) {
    // The server's `error` is for developers, in English: the patient gets the
    // page's text in their language.
    const refused = response.status >= 400 && response.status < 500;
    return [{ role: "ai", text: refused ? texts.request_refused : texts.request_failed }];
  }
  // The choice has gone with an answered message (unless the patient chose
  // again meanwhile): from now on the page follows the replies.
  if (chosen && pendingLanguage === chosen) setPendingLanguage(null);
  return toChatMessages(await response.json());
}

// The switch: a click (or Enter, or Space) shows the page in that language
// and asks the assistant for it with the next message.
for (const button of document.querySelectorAll(".language-button")) {
  if (!isLanguage(button.dataset.language)) {
    button.hidden = true; // a language this assistant does not have
    continue;
  }
  button.addEventListener("click", () => {
    setPendingLanguage(button.dataset.language);
    showLanguage(button.dataset.language);
  });
}

showLanguage(language);
configureChat(textsIn(language));
chat.style = "border-radius: 10px; width: 100%; height: 60vh; min-height: 22rem;";
chat.connect = {
  handler: async (body, signals) => {
    const text = (body.messages || []).map((m) => m.text || "").join(" ").trim();
    try {
      await signals.onResponse(await ask(text));
    } catch {
      await signals.onResponse({ text: textsIn(language).unreachable });
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
          reply = [{ role: "ai", text: textsIn(language).unreachable }];
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
