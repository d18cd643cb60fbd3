// The Streaming page: polls the JSON API (Spark's shape) and redraws plots and tables in place.
"use strict";

const APP_ID = document.body.dataset.appId;
const API = `/api/v1/applications/${encodeURIComponent(APP_ID)}/streaming`;
const REFRESH_MS = 1000;
const PLOTTED_BATCHES = 300;
const expanded = new Set();  // batch ids whose output operations are shown

async function getJson(path) {
  const response = await fetch(API + path, {cache: "no-store"});
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "-" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function ms(value) {
  return value === null || value === undefined ? "-" : formatValue(value, "ms");
}

function clock(batchId) {
  return new Date(batchId).toLocaleString();
}

function replaceRows(table, rows) {
  const body = table.querySelector("tbody");
  body.textContent = "";
  for (const row of rows) body.appendChild(row);
  if (rows.length === 0) {
    const empty = document.createElement("tr");
    const td = cell(empty, "none", "empty");
    td.colSpan = table.querySelectorAll("thead th").length;
    body.appendChild(empty);
  }
}

function drawPlots(stats, batches, sources) {
  const completed = batches.filter((b) => b.status === "COMPLETED").reverse().slice(-PLOTTED_BATCHES);
  const seconds = stats.batchDuration / 1000;
  const inputSeries = sources.length ? sources.map((s) => ({
    name: `${s.streamName} [${s.streamId}]`,
    points: completed.map((b) => [b.batchId, (b.streamIdToInputSize[String(s.streamId)] || 0) / seconds]),
  })) : [{name: "all streams", points: completed.map((b) => [b.batchId, b.inputSize / seconds])}];
  const metrics = {
    inputRate: {series: inputSeries, unit: "records/s", avg: stats.avgInputRate,
                values: completed.map((b) => b.inputSize / seconds)},
    schedulingDelay: {key: "schedulingDelay", unit: "ms", avg: stats.avgSchedulingDelay},
    processingTime: {key: "processingTime", unit: "ms", avg: stats.avgProcessingTime},
    totalDelay: {key: "totalDelay", unit: "ms", avg: stats.avgTotalDelay},
  };
  for (const [name, plot] of Object.entries(metrics)) {
    const row = document.querySelector(`tr[data-plot="${name}"]`);
    const series = plot.series || [{name, points: completed.map((b) => [b.batchId, b[plot.key]])}];
    const values = plot.values || completed.map((b) => b[plot.key]);
    drawTimeline(row.querySelector(".timeline"), series, plot.unit);
    drawHistogram(row.querySelector(".histogram"), values, plot.unit);
    row.querySelector(".avg").textContent = plot.avg === null ? "" :
      `(avg ${formatValue(plot.avg, plot.unit)}${plot.unit === "ms" ? "" : " " + plot.unit})`;
  }
}

function batchRow(batch, withTotal) {
  const row = document.createElement("tr");
  row.className = "batch" + (batch.numFailedOutputOps ? " failed" : "");
  row.dataset.batchId = batch.batchId;
  const time = cell(row, "", "batch-time");
  const link = document.createElement("a");
  link.href = `/streaming/batch/?id=${batch.batchId}`;
  link.textContent = clock(batch.batchId);
  link.addEventListener("click", (event) => event.stopPropagation());
  time.appendChild(link);
  time.title = "click the row to show its output operations here, the time to open the batch's page";
  cell(row, batch.inputSize);
  cell(row, ms(batch.schedulingDelay));
  cell(row, ms(batch.processingTime));
  if (withTotal) cell(row, ms(batch.totalDelay));
  const ops = cell(row, `${batch.numCompletedOutputOps}/${batch.numTotalOutputOps}` +
                   (batch.numFailedOutputOps ? ` (${batch.numFailedOutputOps} failed)` : ""));
  if (batch.numFailedOutputOps) ops.className = "error";
  if (!withTotal) cell(row, batch.status.toLowerCase());
  row.addEventListener("click", () => toggleOperations(batch.batchId));
  return row;
}

async function operationsRow(batchId, columns) {
  const row = document.createElement("tr");
  row.className = "operations";
  const td = cell(row, "");
  td.colSpan = columns;
  const ops = await getJson(`/batches/${batchId}/operations`);
  const table = document.createElement("table");
  table.className = "grid inner";
  table.innerHTML = "<thead><tr><th>Output Op Id</th><th>Name</th><th>Description</th><th>Duration</th><th>Status / Error</th></tr></thead><tbody></tbody>";
  const rows = ops.map((op) => {
    const r = document.createElement("tr");
    cell(r, op.outputOpId);
    cell(r, op.name);
    cell(r, op.description);
    cell(r, ms(op.duration));
    const status = cell(r, op.failureReason ? "" : (op.endTime ? "succeeded" : "running"));
    if (op.failureReason) {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = op.failureReason.split("\n")[0];
      const trace = document.createElement("pre");
      trace.textContent = op.failureReason;
      details.append(summary, trace);
      status.appendChild(details);
      status.className = "error";
    }
    return r;
  });
  replaceRows(table, rows);
  td.appendChild(table);
  return row;
}

function toggleOperations(batchId) {
  if (expanded.has(batchId)) expanded.delete(batchId); else expanded.add(batchId);
  refresh();
}

async function drawBatchTable(table, batches, withTotal) {
  const rows = [];
  const columns = table.querySelectorAll("thead th").length;
  for (const batch of batches) {
    rows.push(batchRow(batch, withTotal));
    if (expanded.has(batch.batchId)) rows.push(await operationsRow(batch.batchId, columns));
  }
  replaceRows(table, rows);
}

function drawSources(sources, receivers) {
  const errors = new Map(receivers.map((r) => [r.streamId, r]));
  replaceRows(document.getElementById("sources"), sources.map((s) => {
    const row = document.createElement("tr");
    const receiver = errors.get(s.streamId);
    cell(row, s.streamId);
    cell(row, s.streamName);
    cell(row, s.kind);
    cell(row, s.isActive === null ? "-" : (s.isActive ? "ACTIVE" : "INACTIVE"));
    cell(row, s.avgEventRate === null ? "-" : formatValue(s.avgEventRate, ""));
    cell(row, s.numRecords);
    const positions = Object.entries(s.positions);
    cell(row, positions.length ? positions.map(([p, v]) => `${p}: ${v}`).join(", ") : "-", "positions");
    cell(row, s.lags === null ? "-" : Object.entries(s.lags).map(([p, v]) => `${p}: ${v}`).join(", "));
    cell(row, s.restarts);
    cell(row, receiver && receiver.lastErrorMessage ? `${receiver.lastErrorMessage} (${receiver.lastErrorTime})` : "-",
         receiver && receiver.lastErrorMessage ? "error" : "");
    return row;
  }));
}

function drawState(states) {
  replaceRows(document.getElementById("state"), states.map((s) => {
    const row = document.createElement("tr");
    cell(row, s.streamId);
    cell(row, s.description);
    cell(row, clock(s.batchTime));
    cell(row, s.keys.toLocaleString());
    cell(row, s.bytes === null ? "-" : s.bytes.toLocaleString());
    return row;
  }));
}

function drawWorkers(executors) {
  document.getElementById("shm").textContent = `master ${executors.master}` +
    (executors.shmBytes === null ? "" : `, shared memory in use: ${executors.shmBytes.toLocaleString()} bytes`);
  replaceRows(document.getElementById("workers"), executors.workers.map((w) => {
    const row = document.createElement("tr");
    cell(row, w.id);
    cell(row, w.pid);
    cell(row, w.activeTasks);
    cell(row, w.completedTasks);
    cell(row, ms(w.totalDuration));
    cell(row, w.completedTasks ? ms(w.totalDuration / w.completedTasks) : "-");
    return row;
  }));
}

let refreshing = false;

async function refresh() {
  if (refreshing) return;
  refreshing = true;
  const state = document.getElementById("refresh-state");
  try {
    const [stats, batches, receivers, sources, states, executors] = await Promise.all([
      getJson("/statistics"), getJson("/batches"), getJson("/receivers"),
      getJson("/ember/sources"), getJson("/ember/state"), getJson("/ember/executors")]);
    document.getElementById("summary").textContent =
      `Running batches of ${formatValue(stats.batchDuration, "ms")} for ${stats.numTotalCompletedBatches} completed batches, ` +
      `${stats.numProcessedRecords.toLocaleString()} records processed, ${stats.numReceivers} receivers ` +
      `(${stats.numActiveReceivers} active). Started ${stats.startTime}.`;
    drawPlots(stats, batches, sources);
    const active = batches.filter((b) => b.status !== "COMPLETED");
    const completed = batches.filter((b) => b.status === "COMPLETED");
    document.getElementById("active-count").textContent = active.length;
    document.getElementById("completed-count").textContent = completed.length;
    document.getElementById("completed-total").textContent = stats.numTotalCompletedBatches;
    await drawBatchTable(document.getElementById("active-batches"), active, false);
    await drawBatchTable(document.getElementById("completed-batches"), completed.slice(0, 100), true);
    drawSources(sources, receivers);
    drawState(states);
    drawWorkers(executors);
    state.textContent = `updated ${new Date().toLocaleTimeString()}`;
    state.className = "refresh ok";
  } catch (error) {
    state.textContent = `not updated: ${error.message} (the job may have stopped)`;
    state.className = "refresh stale";
  } finally {
    refreshing = false;
  }
}

// The batch page (/streaming/batch/?id=<batchId>, Spark's address): one batch and its output
// operations, with each failure's traceback open.
async function showBatchPage(batchId) {
  document.getElementById("overview").hidden = true;
  const page = document.getElementById("batch-page");
  page.hidden = false;
  const refreshState = document.getElementById("refresh-state");
  try {
    const batch = await getJson(`/batches/${batchId}`);
    document.getElementById("batch-title").textContent = `Details of batch at ${clock(batch.batchId)}`;
    document.getElementById("batch-summary").textContent =
      `Batch duration ${formatValue(batch.batchDuration, "ms")}, input size ${batch.inputSize} records, ` +
      `scheduling delay ${ms(batch.schedulingDelay)}, processing time ${ms(batch.processingTime)}, ` +
      `total delay ${ms(batch.totalDelay)}, status ${batch.status.toLowerCase()}.`;
    const operations = await operationsRow(batch.batchId, 1);
    const holder = document.getElementById("batch-operations");
    holder.textContent = "";
    holder.appendChild(operations.querySelector("table"));
    for (const details of holder.querySelectorAll("details")) details.open = true;
    refreshState.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    refreshState.textContent = `not found: ${error.message}`;
  }
}

const batchParameter = new URLSearchParams(location.search).get("id");
if (location.pathname.startsWith("/streaming/batch") && batchParameter) {
  showBatchPage(Number(batchParameter));
} else {
  refresh();
  setInterval(refresh, REFRESH_MS);
}