// How the console words the wellbeing nudge.
import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { hoursMinutes, nudgeText } = await load("console/src/wellbeing.ts");

const base = {
  user_id: 1, name: "Ana", status: "available", working_since: "2026-11-23T15:00:00Z",
  minutes_without_break: 130, worked_minutes_today: 130, after_hours_minutes: 0, handled_today: 2,
  distressing_today: 0, distressing_share: 0, occupancy: null, break_suggested: true, concerns: [],
};

test("durations of work read as hours and minutes", () => {
  assert.equal(hoursMinutes(45), "45 min");
  assert.equal(hoursMinutes(130), "2 h 10 min");
  assert.equal(hoursMinutes(61), "1 h 01 min");
});

test("the nudge says how long without a break, or that the day was heavy", () => {
  assert.equal(nudgeText({ ...base, concerns: ["2 h 10 min without a break"] }),
               "You have been at it for 2 h 10 min without a break. A few minutes away from the screen helps you and your patients.");
  assert.equal(nudgeText({ ...base, minutes_without_break: 20, concerns: ["4 of 6 conversations today were escalated or urgent"] }),
               "Today has been heavy. A short break before the next one is a good idea.");
});
