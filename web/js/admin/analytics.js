// Admin → Analytics (§18): overview and live figures, and charts (Chart.js from npm, loaded by
// the page as the UMD global `Chart`) of daily meetings, participants and revenue, peak hours,
// feature use and weekly retention; the browsers' error reports and the accounts as tables.
// Each chart's canvas also carries a one-line summary for screen readers.
import { dollars, errorText, say, when } from "../account/common.js";
import { figures } from "./figures.js";

const $ = (id) => document.getElementById(id);
const USERS_PAGE = 25;
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const PALETTE = ["#ff8a65", "#6ea8fe", "#7ad99a", "#f0c96a", "#c39bff", "#5fd3d3", "#ff9fcf"];

const charts = new Map(); // canvas id → Chart, replaced when the period changes

function chart(id, config, summary) {
  charts.get(id)?.destroy();
  const canvas = $(id);
  charts.set(id, new window.Chart(canvas, config));
  say($(id.replace("-chart", "-summary")), summary);
}

function themeCharts() {
  const style = getComputedStyle(document.body);
  const Chart = window.Chart;
  Chart.defaults.color = style.getPropertyValue("--muted-text").trim() || "#a4abb9";
  Chart.defaults.borderColor = style.getPropertyValue("--border").trim() || "#2e3340";
  Chart.defaults.font.family = style.fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : Chart.defaults.animation;
}

const dataset = (label, data, index, extra = {}) => ({
  label,
  data,
  borderColor: PALETTE[index % PALETTE.length],
  backgroundColor: PALETTE[index % PALETTE.length],
  ...extra,
});

function busiest(labels, values) {
  let best = -1;
  values.forEach((value, i) => {
    if (best < 0 || value > values[best]) best = i;
  });
  return best < 0 ? null : { label: labels[best], value: values[best] };
}

function drawTrends(trends, days) {
  const labels = trends.map((t) => t.date);
  const meetings = trends.map((t) => t.meetings);
  const participants = trends.map((t) => t.participants);
  const revenue = trends.map((t) => Number(t.revenue));
  const top = busiest(labels, meetings);
  const total = meetings.reduce((a, b) => a + b, 0);
  chart(
    "trends-chart",
    {
      type: "line",
      data: { labels, datasets: [dataset("Meetings", meetings, 0, { tension: 0.25 }), dataset("Participants", participants, 1, { tension: 0.25 })] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
    total
      ? `${total} meetings and ${participants.reduce((a, b) => a + b, 0)} participants in the last ${days} days; busiest day ${top.label} (${top.value} meetings).`
      : `No meetings in the last ${days} days.`,
  );
  const income = revenue.reduce((a, b) => a + b, 0);
  chart(
    "revenue-chart",
    {
      type: "bar",
      data: { labels, datasets: [dataset("Revenue (USD)", revenue, 2)] },
      options: { scales: { y: { beginAtZero: true } } },
    },
    `${dollars(income)} of top-ups in the last ${days} days.`,
  );
}

function drawPeakHours(peakHours, days) {
  const hours = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, "0")}:00`);
  const byDay = WEEKDAYS.map(() => new Array(24).fill(0));
  for (const { dow, hour, count } of peakHours) byDay[dow][hour] += count;
  const perHour = hours.map((_, h) => byDay.reduce((sum, day) => sum + day[h], 0));
  const top = busiest(hours, perHour);
  chart(
    "peak-chart",
    {
      type: "bar",
      data: { labels: hours, datasets: WEEKDAYS.map((day, i) => dataset(day, byDay[i], i)) },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    },
    top && top.value ? `Most meetings start at ${top.label} UTC (${top.value} in the last ${days} days).` : `No meetings in the last ${days} days.`,
  );
}

function drawFeatures(features, days) {
  const labels = features.map((f) => f.feature.replace(/_/g, " "));
  chart(
    "features-chart",
    {
      type: "bar",
      data: {
        labels,
        datasets: [dataset("Uses", features.map((f) => f.total_uses), 0), dataset("People", features.map((f) => f.unique_users), 1)],
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
    features.length
      ? `In the last ${days} days: ${features.map((f) => `${f.feature.replace(/_/g, " ")} ${f.total_uses} uses`).join(", ")}.`
      : `No feature use recorded in the last ${days} days.`,
  );
}

function drawRetention(retention) {
  const weeks = [...retention].sort((a, b) => a.week.localeCompare(b.week));
  const labels = weeks.map((w) => w.week);
  const last = weeks[weeks.length - 1];
  chart(
    "retention-chart",
    {
      type: "line",
      data: {
        labels,
        datasets: [dataset("Active users", weeks.map((w) => w.users), 1, { tension: 0.25 }), dataset("Active the week before too", weeks.map((w) => w.retained), 2, { tension: 0.25 })],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
    last ? `Week of ${last.week}: ${last.users} active users, ${last.retained} of them retained.` : "No activity yet.",
  );
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = String(text);
  return td;
}

function drawErrors(errors) {
  $("errors-rows").replaceChildren(
    ...errors.map((e) => {
      const tr = document.createElement("tr");
      const where = [e.route, e.message].filter(Boolean).join(": ");
      tr.append(cell(e.event_type), cell(where || "—", "wide"), cell(e.count, "num"), cell(when(e.last_seen)));
      return tr;
    }),
  );
  $("errors-empty").hidden = errors.length > 0;
}

function drawLive(overview, realtime) {
  figures($("overview"), [
    ["Accounts", overview.users],
    ["Companies", overview.companies],
    ["Meetings held", overview.meetings.ended],
    ["Scheduled", overview.meetings.scheduled],
    ["Top-ups", dollars(overview.revenue)],
    ["Charged", dollars(overview.charges)],
  ]);
  figures($("realtime"), [
    ["Active meetings", realtime.activeMeetings],
    ["People in them", realtime.totalParticipants],
    ["Recording", realtime.activeRecordings],
    ["Sharing a screen", realtime.activeScreenShares],
  ]);
  $("realtime-list").replaceChildren(
    ...realtime.meetingList.map((m) => {
      const li = document.createElement("li");
      li.className = "row";
      const minutes = Math.floor(m.duration / 60);
      li.textContent = `${m.title} (${m.id}): ${m.participantCount} in it for ${minutes} min${m.isRecording ? ", recording" : ""}`;
      return li;
    }),
  );
}

function usersTable(op) {
  let offset = 0;
  const newer = $("users-newer");
  const older = $("users-older");
  async function load() {
    const page = await op.admin.analytics.users({ limit: USERS_PAGE, offset });
    $("users-rows").replaceChildren(
      ...page.users.map((u) => {
        const tr = document.createElement("tr");
        const type = `${u.accountType}${u.is_admin ? ", admin" : ""}${u.company_id ? `, company ${u.company_id}` : ""}`;
        tr.append(cell(u.id), cell(u.email, "wide"), cell(type), cell(u.meetings, "num"), cell(dollars(u.balance), "num"));
        return tr;
      }),
    );
    newer.disabled = offset === 0;
    older.disabled = offset + page.users.length >= page.total;
    say($("users-page"), page.total ? `${offset + 1}–${offset + page.users.length} of ${page.total}` : "");
  }
  newer.addEventListener("click", () => {
    offset = Math.max(0, offset - USERS_PAGE);
    load().catch((failure) => say($("analytics-error"), errorText(failure)));
  });
  older.addEventListener("click", () => {
    offset += USERS_PAGE;
    load().catch((failure) => say($("analytics-error"), errorText(failure)));
  });
  return load;
}

export async function init(op) {
  const report = op.admin.analytics;
  const form = $("analytics-filter");
  const error = $("analytics-error");
  if (!window.Chart) throw new Error("the chart library did not load (/vendor/chart.js)");
  themeCharts();

  async function load() {
    say(error, "");
    const days = Number(form.elements.days.value);
    try {
      const [overview, realtime, trends, peak, features, retention, errors] = await Promise.all([
        report.overview(),
        report.realtime(),
        report.trends({ days }),
        report.peakHours({ days }),
        report.features({ days }),
        report.retention(),
        report.errors({ days }),
      ]);
      drawLive(overview, realtime);
      drawTrends(trends.trends, days);
      drawPeakHours(peak.peakHours, days);
      drawFeatures(features.features, days);
      drawRetention(retention.retention);
      drawErrors(errors.errors);
    } catch (failure) {
      say(error, errorText(failure));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  await Promise.all([load(), usersTable(op)()]);
}
