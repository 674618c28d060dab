// How the console words calls and durations.
import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { callSummary, duration, formatMetric, isoWeek } = await load("console/src/format.ts");

test("durations read as seconds, then minutes and seconds", () => {
  assert.equal(duration(0), "0 s");
  assert.equal(duration(59), "59 s");
  assert.equal(duration(300), "5 min 00 s");
  assert.equal(duration(61), "1 min 01 s");
});

test("a call says how it went, answered or not", () => {
  const now = new Date("2026-11-23T18:00:00Z");
  const at = "2026-11-23T14:50:00Z";
  const answered = callSummary({ outcome: "answered", entered_at: at, wait_seconds: 25, talk_seconds: 300 }, now);
  assert.match(answered, /^Phone call · answered after 25 s, talked 5 min 00 s · /);
  const missed = callSummary({ outcome: "left_by_key", entered_at: at, wait_seconds: 40, talk_seconds: 0 }, now);
  assert.match(missed, /^Phone call · asked for a callback after 40 s · /);
  assert.match(callSummary({ outcome: "abandoned", entered_at: at, wait_seconds: 75, talk_seconds: 0 }, now), /hung up after 1 min 15 s/);
});

test("KPI values read as durations, percentages or counts by their name", () => {
  assert.equal(formatMetric("first_response_time_p50_s", 300), "5 min 00 s");
  assert.equal(formatMetric("abandonment_rate", 0.5), "50.0%");
  assert.equal(formatMetric("sla_first_response_attainment", 1), "100.0%");
  assert.equal(formatMetric("service_level", 0.8123), "81.2%");
  assert.equal(formatMetric("calls_offered", 1234), "1,234");
  assert.equal(formatMetric("nps", -12), "-12");
  assert.equal(formatMetric("csat", null), "—");
});

test("weeks are ISO weeks, as <input type=week> writes them", () => {
  assert.equal(isoWeek(new Date(2026, 10, 29)), "2026-W48");  // a Sunday
  assert.equal(isoWeek(new Date(2026, 10, 30)), "2026-W49");  // a Monday
  assert.equal(isoWeek(new Date(2025, 11, 29)), "2026-W01");  // week 1 begins in December
  assert.equal(isoWeek(new Date(2021, 0, 3)), "2020-W53");    // and January may end the year before
  assert.equal(isoWeek(new Date(2026, 0, 1)), "2026-W01");
});
