// Canned responses as the composer fills them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { fill, unfilled, readableHours, firstName } = await load("console/src/canned.ts");

test("variables are filled; one without a value stays visible and is reported", () => {
  const values = { first_name: "Maria", practice_name: "Lakeside", agent_name: "Ana" };
  assert.deepEqual(fill("Hello {{first_name}}, this is {{ agent_name }} at {{practice_name}}.", values), {
    text: "Hello Maria, this is Ana at Lakeside.",
    missing: [],
  });
  assert.deepEqual(fill("We are open {{location_hours}}; {{location_hours}}.", values), {
    text: "We are open {{location_hours}}; {{location_hours}}.",
    missing: ["location_hours"],
  });
  assert.deepEqual(fill("Hi {{first_name}}", { first_name: "" }).missing, ["first_name"]);
  assert.deepEqual(unfilled("Dear {{first_name}}, {{ x }}"), ["first_name", "x"]);
  assert.deepEqual(unfilled("No variables here {not one}"), []);
});

test("business hours read as a patient would say them", () => {
  assert.equal(readableHours("mon-fri 08:00-17:00; sat 09:00-12:00"), "Mon–Fri 8:00–17:00, Sat 9:00–12:00");
  assert.equal(readableHours("mon,wed 08:00-12:00,13:00-17:00"), "Mon, Wed 8:00–12:00, 13:00–17:00");
  assert.equal(readableHours("always"), "open around the clock");
  assert.equal(readableHours(""), "");
});

test("a first name is the first word", () => {
  assert.equal(firstName("  Maria José Lopez "), "Maria");
  assert.equal(firstName(""), "");
});
