// The demo clinic page: deep-chat talking to the assistant's REST channel.
// Message text is only ever given to deep-chat as `text` (rendered escaped)
// or set with textContent; the one HTML message is the clarify buttons,
// built here from escaped titles.
import "./node_modules/deep-chat/dist/deepChat.bundle.js";

const config = await (await fetch("config.json")).json();

// One conversation per browser tab session; a reload continues it.
const conversationKey = "clinic-assistant-conversation";
const sender = sessionStorage.getItem(conversationKey) || `web-${crypto.randomUUID()}`;
sessionStorage.setItem(conversationKey, sender);

document.getElementById("clinic-name").textContent = config.clinicName;
const phoneLink = document.getElementById("clinic-phone");
phoneLink.textContent = config.clinicPhone;
phoneLink.href = `tel:${config.clinicPhone.replace(/[^0-9+]/g, "")}`;

const EMERGENCY_BANNERS = {
  crisis: ["If you are thinking about suicide or self-harm", "Call or text 988 now. If you are in danger, call 911."],
  medical: ["This may be a medical emergency", "Call 911 now. Poisoning or overdose: Poison Help 1-800-222-1222."],
  red_flag: ["Go to an emergency room now", "These back-pain signs need urgent care today. Call 911 if you can't get there safely."],
  violence: ["You deserve to be safe", "If you are in danger now, call 911. Domestic Violence Hotline 1-800-799-7233 (text START to 88788). Sexual Assault Hotline 1-800-656-4673."],
};

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

// Button titles waiting to be clicked, mapped to the payload to send instead.
let buttonPayloads = {};

function toChatMessages(items) {
  const messages = [];
  for (const item of items) {
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
      messages.push({ role: "ai", text: `Sources: ${custom.sources.map((s) => s.title).join("; ")}` });
    } else if (custom.kind === "emergency") {
      const [title, text] = EMERGENCY_BANNERS[custom.category] || EMERGENCY_BANNERS.medical;
      showBanner("emergency", title, text);
    } else if (custom.kind === "handoff") {
      showBanner(
        "handoff",
        "Our care team will contact you",
        `Request ${custom.handoff_id}. To talk with someone now, call ${config.clinicName} at ${config.clinicPhone}.`,
      );
    }
  }
  return messages;
}

async function ask(text) {
  const message = buttonPayloads[text] || text;
  buttonPayloads = {};
  const response = await fetch(config.assistantUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sender, message }),
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    return [{ role: "ai", text: problem.error ? `Sorry: ${problem.error}` : "Sorry, something went wrong." }];
  }
  return toChatMessages(await response.json());
}

const chat = document.getElementById("chat");
chat.introMessage = { text: "Hi! Ask me about ketamine therapy for back pain." };
chat.textInput = { placeholder: { text: "Type your question" }, characterLimit: config.maxMessageChars };
chat.style = "border-radius: 10px; width: 100%; height: 60vh; min-height: 22rem;";
chat.connect = {
  handler: async (body, signals) => {
    const text = (body.messages || []).map((m) => m.text || "").join(" ").trim();
    try {
      await signals.onResponse(await ask(text));
    } catch {
      await signals.onResponse({
        text: `Sorry, I can't reach the assistant right now. Please call ${config.clinicName} at ${config.clinicPhone}.`,
      });
    }
  },
};
