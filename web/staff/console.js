// The staff console: handoff inbox, transcripts, resolving with a note, the audit log,
// and for curators the insights (charts by Chart.js, each with its numbers in a table).
// Preact with htm templates (one ES module from the htm package, no build step).
// Every text from the API is rendered as text: Preact escapes it, and nothing
// here sets HTML.
import { html, render, useEffect, useRef, useState } from "/staff/vendor/preact-htm.js";

const POLL_MS = 5000;
const CSRF_KEY = "staff-csrf-token";
const REASONS = { contraindication: "Contraindication", user_request: "Asked for a person" };
// The patient's language (core/handoffs/store.py LANGUAGES): staff call back in it.
// Its English name for staff, and its own name as a Spanish-speaking colleague reads it.
const LANGUAGES = {
  en: { name: "English", own: "English" },
  es: { name: "Spanish", own: "Español" },
};

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

function languageOf(code) {
  return LANGUAGES[code] || { name: code, own: code };
}

// A badge in every row and in the detail; a language other than English stands out.
function LanguageBadge({ code }) {
  const { name, own } = languageOf(code);
  const title = `The patient wrote in ${name}: call back in ${name}`;
  return html`<span class=${`language-badge language-${code}`} data-language=${code} title=${title}>${name}${
    own !== name ? html`\u00a0· <span lang=${code}>${own}</span>` : ""}</span>`;
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
      <thead><tr><th>Request</th><th class="language">Language</th><th>Reason</th><th>Conditions</th><th>Waiting</th><th>Status</th><th>Callback</th></tr></thead>
      <tbody>
        ${listing.handoffs.map((h) => html`
          <tr key=${h.handoff_id} data-handoff=${h.handoff_id} class=${h.handoff_id === selected ? "selected" : ""}>
            <td><button type="button" class="link" onClick=${() => onOpen(h.handoff_id)}>${h.handoff_id}</button></td>
            <td class="language"><${LanguageBadge} code=${h.language} /></td>
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
        <dt>Language</dt><dd id="detail-language"><${LanguageBadge} code=${handoff.language} /> Call back in ${languageOf(handoff.language).name}.</dd>
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

const CURATOR_ROLES = ["curator", "admin"];
const REPLY_CLASSES = {
  answered: "Answered",
  answered_after_choice: "Answered after a choice",
  fallback: "Not understood (fallback)",
  clarify_not_taken: "Choice offered, not taken",
  emergency: "Emergency",
  handoff: "Handed to staff",
  smalltalk: "Small talk",
  other: "Other",
};
// The most asked groups first; the rest on request and in the CSV.
const TOP_GROUPS = 25;
const TOP_TOPICS = 15;

function percent(share) {
  return share === null || share === undefined ? "–" : `${Math.round(share * 1000) / 10} %`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

// A bar chart; its numbers are in the table beside it, which screen readers read instead.
function BarChart({ id, label, labels, datasets, horizontal = false }) {
  const canvas = useRef(null);
  useEffect(() => {
    if (!window.Chart) return undefined;
    const chart = new window.Chart(canvas.current, {
      type: "bar",
      data: { labels, datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    return () => chart.destroy();
  }, [JSON.stringify([labels, datasets])]);
  return html`<div class="chart"><canvas ref=${canvas} id=${id} role="img" aria-label=${label}>${label}</canvas></div>`;
}

function CsvLink({ days, table, children }) {
  const query = new URLSearchParams({ days, table });
  return html`<a class="csv" href=${`/staff/api/insights.csv?${query}`} download>${children}</a>`;
}

function Insights({ onFailure }) {
  const [days, setDays] = useState(30);
  const [found, setFound] = useState(null);
  const [allGroups, setAllGroups] = useState(false);
  useEffect(() => {
    setFound(null);
    api(`insights?days=${days}`).then(setFound, onFailure);
  }, [days]);
  const picker = html`
    <label class="days">Period
      <select id="insights-days" value=${days} onChange=${(e) => setDays(Number(e.target.value))}>
        <option value="7">Last 7 days</option>
        <option value="30">Last 30 days</option>
        <option value="90">Last 90 days</option>
      </select>
    </label>`;
  if (!found) return html`<section id="insights-loading">${picker}<p>Loading insights…</p></section>`;
  const replies = Object.entries(REPLY_CLASSES).map(([key, name]) => [name, found.replies[key] || 0]);
  const topics = found.topics.filter((t) => t.answered || t.up || t.down).slice(0, TOP_TOPICS);
  const reasons = found.handoffs.by_reason;
  return html`
    <section id="insights" aria-label="Insights">
      <div class="insights-head">
        ${picker}
        <p class="summary">
          <strong id="answer-rate">${percent(found.answer_rate)}</strong> of ${found.messages} patient
          messages answered with a topic, in ${found.conversations} conversations
          (${found.since.slice(0, 10)} to ${found.until.slice(0, 10)}).
        </p>
      </div>

      <h2>Questions the assistant could not answer</h2>
      <p>${found.unanswered_messages} messages got a fallback or a choice nobody took, grouped by similar words.
        <${CsvLink} days=${days} table="unanswered">Download CSV<//></p>
      ${found.unanswered.length ? html`
        <table id="unanswered">
          <caption>Unanswered questions, most asked first</caption>
          <thead><tr><th scope="col">Times asked</th><th scope="col">Question</th><th scope="col">Shared words</th><th scope="col">Examples</th></tr></thead>
          <tbody>${(allGroups ? found.unanswered : found.unanswered.slice(0, TOP_GROUPS)).map((group) => html`
            <tr><td>${group.count}</td><td>${group.label}</td><td>${group.terms.join(", ") || "–"}</td>
              <td><ul class="examples">${group.examples.map((example) => html`<li>${example}</li>`)}</ul></td></tr>`)}
          </tbody>
        </table>
        ${!allGroups && found.unanswered.length > TOP_GROUPS && html`
          <p><button type="button" id="unanswered-all" onClick=${() => setAllGroups(true)}>
            Show all ${found.unanswered.length} groups</button></p>`}` : html`<p id="unanswered-empty">None in this period.</p>`}

      <div class="pair">
        <div>
          <h2>What the assistant did with patient messages</h2>
          <${BarChart} id="replies-chart" label="Replies to patient messages by kind; the numbers are in the table below"
            labels=${replies.map(([name]) => name)}
            datasets=${[{ label: "Messages", data: replies.map(([, count]) => count), backgroundColor: "#1f5fa8" }]} />
          <table id="replies-table">
            <caption>Replies to patient messages by kind</caption>
            <thead><tr><th scope="col">Reply</th><th scope="col">Messages</th></tr></thead>
            <tbody>${replies.map(([name, count]) => html`<tr><td>${name}</td><td>${count}</td></tr>`)}</tbody>
          </table>
        </div>
        <div>
          <h2>Handoffs by reason</h2>
          <${BarChart} id="handoffs-chart" label="Handoff requests by reason, open and resolved; the numbers are in the table below"
            labels=${reasons.map((r) => REASONS[r.reason] || r.reason)}
            datasets=${[
              { label: "Resolved", data: reasons.map((r) => r.resolved), backgroundColor: "#2e7d4f" },
              { label: "Open", data: reasons.map((r) => r.open), backgroundColor: "#c77700" },
            ]} />
          <table id="handoffs-table">
            <caption>Handoffs and time to resolve <${CsvLink} days=${days} table="handoffs">CSV<//></caption>
            <thead><tr><th scope="col">Reason</th><th scope="col">Requests</th><th scope="col">Open</th><th scope="col">Median time to resolve</th><th scope="col">90th percentile</th></tr></thead>
            <tbody>${[...reasons, { reason: "All", ...found.handoffs.total }].map((r) => html`
              <tr><td>${REASONS[r.reason] || r.reason}</td><td>${r.count}</td><td>${r.open}</td>
                <td>${duration(r.median_seconds)}</td><td>${duration(r.p90_seconds)}</td></tr>`)}
            </tbody>
          </table>
        </div>
      </div>

      <h2>Topics: how often answered, and ratings</h2>
      <${BarChart} id="topics-chart" horizontal=${true}
        label=${`The ${TOP_TOPICS} most answered topics with their ratings; the numbers are in the table below`}
        labels=${topics.map((t) => t.title)}
        datasets=${[
          { label: "Answered", data: topics.map((t) => t.answered), backgroundColor: "#1f5fa8" },
          { label: "Helped", data: topics.map((t) => t.up), backgroundColor: "#2e7d4f" },
          { label: "Did not help", data: topics.map((t) => t.down), backgroundColor: "#a11d1d" },
        ]} />
      <table id="topics-table">
        <caption>Every topic <${CsvLink} days=${days} table="topics">CSV<//></caption>
        <thead><tr><th scope="col">Topic</th><th scope="col">Answered</th><th scope="col">Helped</th><th scope="col">Did not help</th><th scope="col">Helpful</th></tr></thead>
        <tbody>${found.topics.map((t) => html`
          <tr data-topic=${t.topic}><td>${t.title}</td><td>${t.answered}</td><td>${t.up}</td><td>${t.down}</td><td>${percent(t.helpful_share)}</td></tr>`)}
        </tbody>
      </table>

      <h2>Content due for review</h2>
      <p>Answers last reviewed more than ${found.review_months} months ago (<code>CONTENT_REVIEW_MONTHS</code>).
        <${CsvLink} days=${days} table="stale_content">Download CSV<//></p>
      ${found.stale_content.length ? html`
        <table id="stale-content">
          <thead><tr><th scope="col">Topic</th><th scope="col">Reviewed</th><th scope="col">Months ago</th></tr></thead>
          <tbody>${found.stale_content.map((row) => html`
            <tr><td>${row.title}</td><td>${row.reviewed}</td><td>${row.months_since_review}</td></tr>`)}</tbody>
        </table>` : html`<p id="stale-content-empty">Every answer was reviewed within ${found.review_months} months.</p>`}
    </section>`;
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
        ${CURATOR_ROLES.includes(session.role) && html`<button type="button" id="insights-tab" aria-pressed=${view === "insights"} onClick=${() => setView("insights")}>Insights</button>`}
        ${session.role === "admin" && html`<button type="button" id="audit-tab" aria-pressed=${view === "audit"} onClick=${() => setView("audit")}>Audit log</button>`}
      </nav>
      <p class="who">${session.username} (${session.role})
        <button type="button" id="logout" onClick=${logout}>Log out</button></p>
    </header>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${view === "insights" && html`<${Insights} onFailure=${handle} />`}
    ${view === "audit" && html`<${AuditLog} />`}
    ${view === "inbox" && html`
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
