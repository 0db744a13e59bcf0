// Trebuchet's web UI: a page per hash route (#/, #/job/<id>, #/executors), redrawn from the
// REST API every second. No framework and no network beyond this server: clusters are
// often air-gapped.
"use strict";

const REFRESH_MS = 1000;
let timer = null;
// The graph is re-fetched only when what it shows (states and measured rows) changed.
let graphKey = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!response.ok) {
    const message = (body && body.error) || `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return body;
}

function formatDuration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

function formatBytes(bytes) {
  if (!bytes) return "0 B";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatTime(ms) {
  return ms ? new Date(ms).toLocaleString() : "";
}

function stateBadge(state) {
  return el("span", { class: `state state-${state}`, "data-state": state }, state);
}

function progressBar(done, total, label) {
  return el("progress", { max: String(Math.max(total, 1)), value: String(done),
    title: `${done} of ${total} tasks succeeded`, "aria-label": label });
}

function cancelButton(job, after) {
  const button = el("button", { "data-testid": "cancel", onclick: async () => {
    button.disabled = true;
    try {
      await api(`/api/job/${encodeURIComponent(job.job_id)}/cancel`, { method: "POST" });
    } catch (err) {
      alert(`Could not cancel ${job.job_id}: ${err.message}`);
    }
    after();
  } }, "Cancel");
  return button;
}

async function renderJobs(page) {
  const jobs = await api("/api/jobs");
  const rows = jobs.map((job) => {
    const tasks = job.tasks; // over all its stages
    return el("tr", { "data-job-id": job.job_id, "data-testid": "job-row" },
      el("td", {}, el("a", { href: `#/job/${encodeURIComponent(job.job_id)}` }, job.job_id)),
      el("td", {}, stateBadge(job.state)),
      el("td", {}, progressBar(tasks.succeeded, tasks.total, `progress of ${job.job_id}`),
        " ", el("span", { class: "muted" }, `${tasks.succeeded}/${tasks.total}`)),
      el("td", {}, job.user || el("span", { class: "muted" }, "—")),
      el("td", { class: "sql" }, job.sql),
      el("td", {}, formatTime(job.submitted_at_ms)),
      el("td", { class: "num" }, formatDuration(job.duration_ms)),
      el("td", { class: "num" }, job.rows_out),
      el("td", {}, job.state === "running" ? cancelButton(job, refresh) : ""));
  });
  page.replaceChildren(
    el("h1", {}, "Jobs"),
    jobs.length === 0
      ? el("p", { class: "muted" }, "No job yet. Queries that read data run as jobs and show up here.")
      : el("table", { "data-testid": "jobs" },
          el("thead", {}, el("tr", {}, ["Job", "State", "Tasks", "User", "SQL", "Submitted",
            "Duration", "Rows", ""].map((name) => el("th", {}, name)))),
          el("tbody", {}, rows)));
}

async function renderJob(page, jobId) {
  const job = await api(`/api/job/${encodeURIComponent(jobId)}`);
  const stageRows = job.stages.map((stage) => el("tr", { "data-testid": "stage-row", "data-stage-id": stage.stage_id },
    el("td", {}, stage.stage_id),
    el("td", {}, stage.inputs.join(", ")),
    el("td", {}, stateBadge(stage.state)),
    el("td", {}, progressBar(stage.tasks.succeeded, stage.tasks.total, `progress of stage ${stage.stage_id}`),
      " ", el("span", { class: "muted" },
        `${stage.tasks.succeeded}/${stage.tasks.total} done, ${stage.tasks.running} running`
          + (stage.tasks.skipped ? `, ${stage.tasks.skipped} skipped` : ""))),
    el("td", { class: "num" }, stage.rows_out),
    el("td", { class: "num" }, formatBytes(stage.bytes_out)),
    el("td", { class: "num" }, formatBytes(stage.spilled_bytes)),
    el("td", { class: "num" }, formatDuration(stage.task_time_ms)),
    el("td", { class: "sql" }, stage.output_partitioning)));
  const key = JSON.stringify(job.stages.map((s) => [s.state, s.tasks.succeeded, s.rows_out]));
  const existing = page.querySelector("img.graph-image");
  let graph;
  if (existing && graphKey === `${jobId}:${key}`) {
    graph = existing.parentElement;
  } else {
    graphKey = `${jobId}:${key}`;
    graph = el("div", { class: "graph" }, el("img", { class: "graph-image", "data-testid": "graph",
      alt: `stage graph of ${job.job_id}`,
      src: `/api/job/${encodeURIComponent(job.job_id)}/svg?v=${encodeURIComponent(key.length + ":" + Date.now())}` }));
  }
  page.replaceChildren(
    el("h1", {}, "Job ", el("code", {}, job.job_id), " ", stateBadge(job.state),
      " ", job.state === "running" ? cancelButton(job, refresh) : ""),
    el("div", { class: "facts" },
      el("span", { class: "muted" }, "User"), el("span", {}, job.user || "—"),
      el("span", { class: "muted" }, "Session"), el("span", {}, job.session_id),
      el("span", { class: "muted" }, "Submitted"), el("span", {}, formatTime(job.submitted_at_ms)),
      el("span", { class: "muted" }, "Duration"), el("span", {}, formatDuration(job.duration_ms)),
      el("span", { class: "muted" }, "Rows out"), el("span", {}, job.rows_out)),
    el("pre", { class: "sql" }, job.sql),
    job.error ? el("div", { class: "error", "data-testid": "job-error" }, job.error) : "",
    el("h2", {}, "Stages"),
    el("table", { "data-testid": "stages" },
      el("thead", {}, el("tr", {}, ["Stage", "Inputs", "State", "Tasks", "Rows", "Bytes",
        "Spilled", "Task time", "Output partitioning"].map((name) => el("th", {}, name)))),
      el("tbody", {}, stageRows)),
    el("h2", {}, "Stage graph ", el("a", { class: "muted", href: `/api/job/${encodeURIComponent(job.job_id)}/dot` }, "(dot)")),
    graph);
}

async function renderExecutors(page) {
  const executors = await api("/api/executors");
  page.replaceChildren(
    el("h1", {}, "Executors"),
    el("table", { "data-testid": "executors" },
      el("thead", {}, el("tr", {}, ["Executor", "State", "Address", "Slots", "Running tasks",
        "Registered", "Last seen"].map((name) => el("th", {}, name)))),
      el("tbody", {}, executors.map((executor) => el("tr", { "data-testid": "executor-row" },
        el("td", {}, executor.executor_id),
        el("td", {}, stateBadge(executor.state)),
        el("td", {}, executor.flight_url),
        el("td", { class: "num" }, executor.slots),
        el("td", { class: "num" }, executor.running_tasks),
        el("td", {}, formatTime(executor.registered_at_ms)),
        el("td", {}, formatTime(executor.last_seen_ms)))))));
}

async function renderHeader() {
  try {
    const state = await api("/api/state");
    document.getElementById("server-state").textContent =
      `version ${state.version} · up since ${formatTime(state.started_at_ms)}`;
  } catch { /* the page itself says what failed */ }
}

async function refresh() {
  clearTimeout(timer);
  const page = document.getElementById("page");
  const route = location.hash.replace(/^#/, "") || "/";
  const job = route.match(/^\/job\/(.+)$/);
  for (const link of document.querySelectorAll("header nav a")) {
    link.classList.toggle("active",
      (link.dataset.nav === "executors") === route.startsWith("/executors"));
  }
  try {
    if (job) await renderJob(page, decodeURIComponent(job[1]));
    else if (route.startsWith("/executors")) await renderExecutors(page);
    else await renderJobs(page);
  } catch (err) {
    page.replaceChildren(el("div", { class: "error", "data-testid": "page-error" }, err.message));
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

window.addEventListener("hashchange", () => { graphKey = null; refresh(); });
renderHeader();
refresh();
