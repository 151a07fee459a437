// Admin → Server health: the public probe (/health: the database) and this process's figures
// (uptime, memory, database pool, meetings) from the admin analytics.
import { OnepizzaError } from "/sdk/onepizza.js";
import { errorText, say } from "../account/common.js";
import { figures } from "./figures.js";

const $ = (id) => document.getElementById(id);

function uptime(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days) return `${days} d ${hours} h`;
  if (hours) return `${hours} h ${minutes} min`;
  return `${minutes} min ${s % 60} s`;
}

export async function init(op) {
  const error = $("health-error");

  async function probe() {
    try {
      return await op.health.check();
    } catch (failure) {
      // A 503 still tells what is wrong: {"status": "error", "db": "unavailable"}
      if (failure instanceof OnepizzaError && failure.body && typeof failure.body === "object") return failure.body;
      throw failure;
    }
  }

  async function load() {
    say(error, "");
    try {
      const [check, server] = await Promise.all([probe(), op.admin.analytics.health()]);
      figures($("health-figures"), [
        ["Status", check.status, check.status === "ok" ? "good" : "bad"],
        ["Database", check.db || "—", check.db === "connected" ? "good" : "bad"],
        ["Up for", uptime(server.uptimeSeconds)],
        ["Memory", `${Number(server.memoryMB).toFixed(1)} MB`],
        ["Database pool", `${server.dbPoolTotal - server.dbPoolIdle} busy of ${server.dbPoolTotal}, ${server.dbPoolWaiting} waiting`],
        ["Active meetings", server.activeMeetings],
        ["Scheduled meetings", server.scheduledMeetings],
      ]);
    } catch (failure) {
      say(error, errorText(failure));
    }
  }

  $("health-refresh").addEventListener("click", load);
  await load();
}
