// The staff console: handoff inbox, transcripts, resolving with a note, the audit log.
// Preact with htm templates (one ES module from the htm package, no build step).
// Every text from the API is rendered as text: Preact escapes it, and nothing
// here sets HTML.
import { html, render, useEffect, useState } from "/staff/vendor/preact-htm.js";

const POLL_MS = 5000;
const CSRF_KEY = "staff-csrf-token";
const REASONS = { contraindication: "Contraindication", user_request: "Asked for a person" };

class ApiError extends Error {
  constructor(status, body) {
    super(body.error || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = sessionStorage.getItem(CSRF_KEY) || "";
  const response = await fetch(`/staff/api/${path}`, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function age(created, now) {
  const minutes = Math.max(0, Math.floor((Date.parse(now) - Date.parse(created)) / 60000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function contact(handoff) {
  const { name, phone, email, best_time: bestTime } = handoff.contact;
  if (handoff.callback !== "requested") return `callback ${handoff.callback}`;
  return [name, phone || email, bestTime && `best time: ${bestTime}`].filter(Boolean).join(" · ");
}

function Login({ onLogin, notice }) {
  const [error, setError] = useState(notice || "");
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    setBusy(true);
    try {
      const session = await api("login", {
        method: "POST",
        body: { username: form.get("username"), password: form.get("password") },
      });
      sessionStorage.setItem(CSRF_KEY, session.csrf_token);
      onLogin(session);
    } catch (failure) {
      if (failure.status === 429) {
        const minutes = Math.ceil((failure.body.retry_after_seconds || 900) / 60);
        setError(`Too many failed logins: this account is locked. Try again in ${minutes} minutes.`);
      } else if (failure.status === 401) {
        setError("Wrong login or password.");
      } else {
        setError(`Could not log in: ${failure.message}`);
      }
    } finally {
      setBusy(false);
    }
  }
  return html`
    <section class="login">
      <h1>Staff console</h1>
      <form id="login" onSubmit=${submit}>
        <label>Login <input name="username" autocomplete="username" required /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <button type="submit" disabled=${busy}>Log in</button>
      </form>
      ${error && html`<p id="login-error" class="error" role="alert">${error}</p>`}
    </section>`;
}

function Filters({ status, reason, onChange }) {
  return html`
    <div class="filters">
      <label>Status
        <select id="status-filter" value=${status} onChange=${(e) => onChange({ status: e.target.value, reason })}>
          <option value="open">Open</option>
          <option value="resolved">Resolved</option>
          <option value="all">All</option>
        </select>
      </label>
      <label>Reason
        <select id="reason-filter" value=${reason} onChange=${(e) => onChange({ status, reason: e.target.value })}>
          <option value="">Any</option>
          ${Object.entries(REASONS).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
        </select>
      </label>
    </div>`;
}

function Inbox({ listing, selected, onOpen }) {
  if (!listing) return html`<p>Loading requests…</p>`;
  if (!listing.handoffs.length) return html`<p id="inbox-empty">No requests match.</p>`;
  return html`
    <table id="inbox">
      <thead><tr><th>Request</th><th>Reason</th><th>Conditions</th><th>Waiting</th><th>Status</th><th>Callback</th></tr></thead>
      <tbody>
        ${listing.handoffs.map((h) => html`
          <tr key=${h.handoff_id} data-handoff=${h.handoff_id} class=${h.handoff_id === selected ? "selected" : ""}>
            <td><button type="button" class="link" onClick=${() => onOpen(h.handoff_id)}>${h.handoff_id}</button></td>
            <td>${REASONS[h.reason] || h.reason}</td>
            <td>${h.conditions.join(", ") || "–"}</td>
            <td class="age" title=${h.created_at}>${age(h.created_at, listing.now)}</td>
            <td>${h.status}</td>
            <td>${contact(h)}</td>
          </tr>`)}
      </tbody>
    </table>`;
}

function Detail({ handoff, onResolved, onClose }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  async function resolve(event) {
    event.preventDefault();
    try {
      await api(`handoffs/${handoff.handoff_id}/resolve`, { method: "POST", body: { note } });
      setNote("");
      onResolved();
    } catch (failure) {
      setError(failure.message);
    }
  }
  return html`
    <section id="detail" aria-label=${`Request ${handoff.handoff_id}`}>
      <h2>${handoff.handoff_id} <small>${handoff.status}</small></h2>
      <button type="button" class="close" onClick=${onClose}>Close</button>
      <dl>
        <dt>Conversation</dt><dd>${handoff.conversation_id}</dd>
        <dt>Reason</dt><dd>${REASONS[handoff.reason] || handoff.reason}${handoff.conditions.length ? `: ${handoff.conditions.join(", ")}` : ""}</dd>
        <dt>Created</dt><dd>${handoff.created_at}</dd>
        <dt>Callback</dt><dd>${contact(handoff)}</dd>
        ${handoff.status === "resolved" && html`
          <dt>Resolved</dt><dd>${handoff.resolved_at} by ${handoff.resolved_by || "–"}</dd>
          <dt>Note</dt><dd id="resolution-note">${handoff.resolution_note || "–"}</dd>`}
      </dl>
      <h3>Transcript</h3>
      <ol id="transcript">
        ${handoff.transcript.map((turn) => html`
          <li class=${turn.speaker}><span class="speaker">${turn.speaker}</span> <time>${turn.time}</time><p>${turn.text}</p></li>`)}
      </ol>
      ${handoff.status === "open" && html`
        <form id="resolve" onSubmit=${resolve}>
          <label>Note <textarea name="note" required maxlength="2000" value=${note} onInput=${(e) => setNote(e.target.value)}></textarea></label>
          <button type="submit">Resolve</button>
          ${error && html`<p class="error" role="alert">${error}</p>`}
        </form>`}
    </section>`;
}

function AuditLog() {
  const [entries, setEntries] = useState(null);
  useEffect(() => { api("audit?limit=200").then((data) => setEntries(data.entries)); }, []);
  if (!entries) return html`<p>Loading the audit log…</p>`;
  return html`
    <table id="audit">
      <thead><tr><th>When</th><th>Who</th><th>What</th><th>Request</th></tr></thead>
      <tbody>${entries.map((e) => html`<tr><td>${e.at}</td><td>${e.username}</td><td>${e.action}</td><td>${e.target || ""}</td></tr>`)}</tbody>
    </table>`;
}

function Console({ session, onLogout }) {
  const [filters, setFilters] = useState({ status: "open", reason: "" });
  const [listing, setListing] = useState(null);
  const [open, setOpen] = useState(null);
  const [view, setView] = useState("inbox");
  const [problem, setProblem] = useState("");

  function handle(failure) {
    if (failure.status === 401) onLogout("Your session ended. Please log in again.");
    else setProblem(failure.message);
  }

  async function refresh() {
    const query = new URLSearchParams({ status: filters.status });
    if (filters.reason) query.set("reason", filters.reason);
    try {
      setListing(await api(`handoffs?${query}`));
      setProblem("");
    } catch (failure) {
      handle(failure);
    }
  }

  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [filters.status, filters.reason]);

  async function openHandoff(id) {
    try {
      setOpen((await api(`handoffs/${id}`)).handoff);
    } catch (failure) {
      handle(failure);
    }
  }

  async function logout() {
    try {
      await api("logout", { method: "POST" });
    } catch (failure) {
      // Logged out either way: the session is gone or was already.
    }
    onLogout("");
  }

  return html`
    <header>
      <h1>Staff console</h1>
      <nav>
        <button type="button" aria-pressed=${view === "inbox"} onClick=${() => setView("inbox")}>Inbox</button>
        ${session.role === "admin" && html`<button type="button" id="audit-tab" aria-pressed=${view === "audit"} onClick=${() => setView("audit")}>Audit log</button>`}
      </nav>
      <p class="who">${session.username} (${session.role})
        <button type="button" id="logout" onClick=${logout}>Log out</button></p>
    </header>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${view === "audit" ? html`<${AuditLog} />` : html`
      <div class="inbox">
        <section aria-label="Handoff requests">
          <${Filters} ...${filters} onChange=${setFilters} />
          <${Inbox} listing=${listing} selected=${open && open.handoff_id} onOpen=${openHandoff} />
        </section>
        ${open && html`<${Detail} handoff=${open} onClose=${() => setOpen(null)}
          onResolved=${() => { openHandoff(open.handoff_id); refresh(); }} />`}
      </div>`}`;
}

function App() {
  const [session, setSession] = useState(undefined);
  const [notice, setNotice] = useState("");
  useEffect(() => {
    if (!sessionStorage.getItem(CSRF_KEY)) { setSession(null); return; }
    api("session").then(setSession, () => setSession(null));
  }, []);
  if (session === undefined) return html`<p>Loading…</p>`;
  if (!session) return html`<${Login} notice=${notice} onLogin=${setSession} />`;
  return html`<${Console} session=${session} onLogout=${(message) => {
    sessionStorage.removeItem(CSRF_KEY);
    setNotice(message);
    setSession(null);
  }} />`;
}

render(html`<${App} />`, document.getElementById("console"));
