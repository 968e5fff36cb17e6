// The board's own logic, without a browser: applying the server's patches, replacing the view, and the teams as
// this page orders and filters them (natural order, accents aside, both directions, kept in this browser).
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

const stored = new Map();
globalThis.window = {
  matchMedia: () => ({ matches: false, addEventListener() {}, removeEventListener() {} }),
  localStorage: {
    getItem: (key) => stored.get(key) ?? null,
    setItem: (key, value) => stored.set(key, String(value)),
  },
};
const { default: board } = await import("../../ui/board.js");

/** A board as Vue would make it: its methods and computed values bound to one instance of its data. */
function mount(view) {
  const self = { view, board: 7, $emit() {}, $nextTick: (callback) => callback() };
  for (const [name, method] of Object.entries(board.methods)) self[name] = method.bind(self);
  Object.assign(self, board.data.call(self));
  for (const [name, computed] of Object.entries(board.computed)) {
    const get = typeof computed === "function" ? computed : computed.get;
    Object.defineProperty(self, name, { get: get.bind(self), set: computed.set?.bind(self) });
  }
  board.created.call(self);
  return self;
}

function card(title, available, extra = {}) {
  return {
    title,
    available: String(available),
    available_value: available,
    used_value: 0,
    total_value: available,
    share_value: 0,
    expiry_sort: "",
    health: "green",
    expiring: false,
    trend: "",
    trend_text: "",
    ...extra,
  };
}

function view(titles) {
  const cards = Object.fromEntries(titles.map((title, n) => [String(n + 1), card(title, 100 * (n + 1))]));
  return {
    locale: "fr-FR",
    labels: { announce: "{team}: {available}" },
    cards,
    order: Object.keys(cards),
    alert: "",
    updated: "",
    summary: {},
    suggestions: [],
    suggestions_total: "",
  };
}

const titles = (board) => board.shown.map((key) => board.state.cards[key].title);

beforeEach(() => stored.clear());

test("a patch changes the fields it carries, adds a new team in its place and the header's fields", async () => {
  const shown = mount(view(["Équipe 10", "Équipe 2"]));
  shown.apply({ cards: { 1: { available: "5", available_value: 5 } }, alert: "Attention", suggestions_total: "X" });
  assert.equal(shown.state.cards[1].available, "5");
  assert.equal(shown.state.cards[1].title, "Équipe 10"); // the others kept
  assert.equal(shown.state.alert, "Attention");
  assert.equal(shown.state.suggestions_total, "X");
  shown.apply({ cards: { 3: card("Équipe 1", 1) }, order: ["1", "2", "3"] });
  assert.deepEqual(titles(shown), ["Équipe 1", "Équipe 2", "Équipe 10"]); // in its place, not at the end
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(shown.announcement, "Équipe 10: 5"); // said to screen readers, once
});

test("replacing the view shows the new one whole and forgets what was split of the old", () => {
  const shown = mount(view(["A"]));
  shown.parsed.x = {};
  shown.replace(view(["B", "C"]));
  assert.deepEqual(titles(shown), ["B", "C"]);
  assert.deepEqual(shown.parsed, {});
});

test("teams in natural order, found without accents, both ways, and the choice kept in this browser", () => {
  const shown = mount(view(["équipe 10", "Équipe 2", "Architecture", "Zénith"]));
  assert.deepEqual(titles(shown), ["Architecture", "Équipe 2", "équipe 10", "Zénith"]);
  shown.search = "EQUIPE";
  assert.deepEqual(titles(shown), ["Équipe 2", "équipe 10"]);
  shown.search = "";
  shown.descending = true;
  shown.remember();
  assert.deepEqual(titles(shown), ["Zénith", "équipe 10", "Équipe 2", "Architecture"]);
  shown.pagination = { sortBy: "available", descending: false, page: 1, rowsPerPage: 25 };
  assert.deepEqual(titles(shown), ["équipe 10", "Équipe 2", "Architecture", "Zénith"]); // 100, 200, 300, 400
  const again = mount(view(["b", "a"]));
  assert.equal(again.descending, true); // read back from this browser's storage
  assert.deepEqual(titles(again), ["b", "a"]);
});
