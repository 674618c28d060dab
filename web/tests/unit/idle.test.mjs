// The console's automatic logoff, on a fake clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { IdleGuard } = await load("console/src/idle.ts");

test("warns a minute before the idle time and expires at it; input starts it over", () => {
  let now = 0;
  const guard = new IdleGuard(15 * 60000, () => now);
  now = 13 * 60000;
  assert.equal(guard.state(), "active");
  now = 14 * 60000;
  assert.equal(guard.state(), "warning");
  assert.equal(guard.secondsLeft(), 60);
  guard.touch();
  assert.equal(guard.state(), "active");
  now += 15 * 60000 - 1;
  assert.equal(guard.state(), "warning");
  now += 1;
  assert.equal(guard.state(), "expired");
  assert.equal(guard.secondsLeft(), 0);
});

test("a short idle time warns for half of it at most", () => {
  let now = 0;
  const guard = new IdleGuard(60000, () => now);
  now = 29000;
  assert.equal(guard.state(), "active");
  now = 30000;
  assert.equal(guard.state(), "warning");
});
