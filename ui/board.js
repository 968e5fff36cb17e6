// The board of a contract: its summary and every holder's card, drawn here from one shared view and kept current by
// the patches the server broadcasts to every page of the contract (see ui/hub.py). Search, sort, filter and the
// compact view are this page's own and cost the server nothing. Charts are ECharts, as bundled by NiceGUI.
import { echarts } from "nicegui-echart";

const GREEN = "#2e7d32";
const RED = "#c62828";
const USED = "#90a4ae";
const EXPIRED = "#d7d7d7";
const NONE = "#e0e0e0";
const ANNOUNCE_EVERY = 15000; // ms: changed numbers are announced politely, not on every tick
const PROJECTION_DAYS = 30;

/** @typedef {import("./board-types").CardView} Card */
/** @typedef {import("./board-types").BoardView} BoardView */
/** @typedef {import("./board-types").Patch} Patch */

/** @type {import("./board-types").Component<import("./board-types").Board>} */
export default {
  template: `
    <div class="balances-board w-full column gap-4">
      <h1 class="text-h5 q-my-none" tabindex="-1">{{ state.title }}</h1>
      <div class="row w-full justify-end gap-2">
        <q-btn flat dense no-caps icon="download" :label="state.labels.download" data-marker="download-balances">
          <q-menu>
            <q-list>
              <q-item v-for="format in ['csv', 'csv_locale', 'xlsx']" :key="format" clickable v-close-popup
                      :data-marker="'download-balances-' + format.replace('_', '-')" @click="$emit('download', format)">
                <q-item-section>{{ state.labels[format] }}</q-item-section>
              </q-item>
            </q-list>
          </q-menu>
        </q-btn>
      </div>
      <section v-if="state.summary && state.summary.facts && state.order.length > 1" class="q-card q-pa-md" aria-labelledby="summary-title" data-marker="summary">
        <div class="row items-baseline justify-between gap-2">
          <h2 id="summary-title" class="text-h6 q-my-none">{{ state.summary.title }}</h2>
          <span class="text-caption text-grey-8" data-marker="updated">{{ state.labels.updated }} {{ updatedText }}</span>
        </div>
        <dl class="grid grid-cols-2 md:grid-cols-5 gap-3 q-my-sm">
          <div v-for="fact in state.summary.facts" :key="fact.label" class="column">
            <dt class="text-caption text-grey-8">{{ fact.label }}</dt>
            <dd :class="['q-ma-none text-subtitle1 tabular-nums', fact.alert ? 'text-negative' : '']">{{ fact.value }}</dd>
          </div>
        </dl>
        <p v-if="state.summary.red" class="text-body2 text-negative q-my-none" data-marker="summary-red">{{ state.summary.red }}</p>
      </section>
      <div role="status" aria-live="polite" class="w-full">
        <div v-if="state.alert" class="w-full p-3 rounded bg-orange-1 text-deep-orange-10 row items-center no-wrap gap-2" data-marker="alert">
          <q-icon name="notification_important" size="sm" aria-hidden="true" /><span>{{ state.alert }}</span>
        </div>
      </div>
      <div class="sr-only" aria-live="polite" data-marker="announce">{{ announcement }}</div>
      <section aria-labelledby="teams-title" class="column gap-2">
        <div class="row items-end justify-between gap-2 w-full">
          <h2 id="teams-title" class="text-h6 q-my-none">{{ state.labels.teams }}</h2>
          <span v-if="state.order.length > 1" class="text-caption text-grey-8" data-marker="shown">{{ shownText }}</span>
          <span v-else-if="state.updated" class="text-caption text-grey-8" data-marker="updated">{{ state.labels.updated }} {{ updatedText }}</span>
        </div>
        <div v-if="state.order.length > 1" class="row items-center gap-2 w-full" data-marker="toolbar">
          <q-input v-model="search" dense outlined clearable :label="state.labels.search" class="w-56" data-marker="search">
            <template v-slot:prepend><q-icon name="search" aria-hidden="true" /></template>
          </q-input>
          <span class="row items-center no-wrap">
            <q-select v-model="sort" dense outlined emit-value map-options :options="sortOptions" :label="state.labels.sort" class="w-48" data-marker="sort" />
            <q-btn flat round dense :icon="descending ? 'arrow_downward' : 'arrow_upward'" color="primary"
                   :aria-label="descending ? state.labels.descending : state.labels.ascending"
                   :aria-pressed="String(descending)" data-marker="direction" @click="descending = !descending">
              <q-tooltip>{{ descending ? state.labels.descending : state.labels.ascending }}</q-tooltip>
            </q-btn>
          </span>
          <q-select v-model="filter" dense outlined emit-value map-options :options="filterOptions" :label="state.labels.filter" class="w-60" data-marker="filter" />
          <q-toggle v-model="table" :label="state.labels.table" data-marker="table" />
          <q-toggle v-if="!table" v-model="compact" :label="state.labels.compact" data-marker="compact" />
        </div>
        <p v-if="!state.order.length" class="p-2" data-marker="empty">{{ state.labels.empty }}</p>
        <p v-else-if="!shown.length" class="p-2" data-marker="no-match">{{ state.labels.no_match }}</p>
        <q-table v-if="table && state.order.length > 1 && shown.length" :rows="tableRows" :columns="tableColumns" row-key="key"
                 v-model:pagination="pagination" :sort-method="(rows) => rows" binary-state-sort :grid="phone"
                 :rows-per-page-options="[25, 50, 100, 0]" :rows-per-page-label="state.labels.rows_per_page"
                 flat bordered dense wrap-cells class="w-full" data-marker="teams-table">
          <template v-slot:body-cell-health="props">
            <q-td :props="props">
              <span class="row items-center no-wrap gap-1">
                <q-icon :name="healthIcon(props.row.key)" :color="healthColor(props.row.key)" size="xs" aria-hidden="true" />
                <span>{{ props.value }}</span>
              </span>
            </q-td>
          </template>
          <template v-slot:body-cell-expiry="props">
            <q-td :props="props" :class="card(props.row.key).alert ? 'text-negative' : ''">{{ props.value }}</q-td>
          </template>
          <template v-slot:body-cell-actions="props">
            <q-td :props="props">
              <q-btn flat round dense icon="more_vert" color="primary" :aria-label="actionsOf(props.row.key)" data-marker="row-actions">
                <q-menu>
                  <q-list dense>
                    <q-item v-for="action in state.actions" :key="action.kind" clickable v-close-popup
                            :data-marker="'row-' + action.kind" @click="act(action.kind, props.row.key)">
                      <q-item-section>{{ label(action, props.row.key) }}</q-item-section>
                    </q-item>
                  </q-list>
                </q-menu>
              </q-btn>
            </q-td>
          </template>
          <template v-slot:item="props">
            <div class="col-12 q-pa-xs">
              <section class="q-card q-pa-sm column gap-1" :data-marker="'row-' + props.row.key">
                <div class="row items-center no-wrap gap-2">
                  <h3 class="text-subtitle1 text-weight-medium q-my-none grow break-words min-w-0">{{ props.row.name }}</h3>
                  <q-icon :name="healthIcon(props.row.key)" :color="healthColor(props.row.key)" size="xs" aria-hidden="true" />
                  <span class="text-caption">{{ props.row.health }}</span>
                  <q-btn flat round dense icon="more_vert" color="primary" :aria-label="actionsOf(props.row.key)" data-marker="row-actions">
                    <q-menu>
                      <q-list dense>
                        <q-item v-for="action in state.actions" :key="action.kind" clickable v-close-popup
                                @click="act(action.kind, props.row.key)">
                          <q-item-section>{{ label(action, props.row.key) }}</q-item-section>
                        </q-item>
                      </q-list>
                    </q-menu>
                  </q-btn>
                </div>
                <dl class="q-my-none column gap-0">
                  <div v-for="field in ['available', 'used', 'total']" :key="field" class="row justify-between gap-2">
                    <dt class="text-caption text-grey-8">{{ state.labels[field] }}</dt>
                    <dd class="q-ma-none tabular-nums">{{ props.row[field] }}</dd>
                  </div>
                </dl>
                <span :class="card(props.row.key).alert ? 'text-caption text-negative' : 'text-caption'">{{ props.row.expiry }}</span>
              </section>
            </div>
          </template>
        </q-table>
        <div v-if="!table || state.order.length === 1" :class="state.order.length === 1 ? 'grid grid-cols-1 gap-4 w-full' : compact ? 'grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-4 gap-2 w-full' : 'grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-4 w-full'">
          <section v-for="key in shown" :key="key" class="q-card q-pa-md column gap-2"
                   :data-marker="'card-' + key" :aria-labelledby="'title-' + uid + '-' + key">
            <div class="row items-center gap-x-2 gap-y-1">
              <h3 :id="'title-' + uid + '-' + key" class="text-h6 q-my-none grow break-words min-w-0">{{ card(key).title }}</h3>
              <span class="row items-center no-wrap gap-2">
                <q-icon :name="card(key).health == 'green' ? 'check_circle' : card(key).health == 'red' ? 'warning' : 'remove_circle_outline'" size="sm"
                        :color="card(key).health == 'green' ? 'positive' : card(key).health == 'red' ? 'negative' : 'grey-8'" aria-hidden="true" />
                <span class="text-caption" data-marker="health">{{ card(key).health_text }}</span>
              </span>
            </div>
            <div v-if="!compact" class="row items-center no-wrap gap-3">
              <div class="donut shrink-0" role="img" :aria-label="card(key).donut_label"
                   :ref="(el) => chartRef(key, el)" style="width: 8.5rem; height: 8.5rem"></div>
              <div class="column gap-1 grow">
                <span class="text-caption text-grey-8">{{ state.labels.last_90_days }}</span>
                <span data-marker="products">{{ card(key).products }}</span>
                <span data-marker="users">{{ card(key).users }}</span>
              </div>
            </div>
            <dl class="grid grid-cols-1 sm:grid-cols-3 gap-1 sm:gap-2 w-full q-my-none">
              <div v-for="field in ['available', 'used', 'total']" :key="field" class="flex flex-row sm:flex-col items-baseline sm:items-center justify-between gap-2 sm:gap-0">
                <dt class="text-caption text-grey-8 sm:text-center">{{ state.labels[field] }}</dt>
                <dd class="text-base sm:text-lg font-medium q-ma-none sm:text-center tabular-nums whitespace-nowrap" :data-marker="field">{{ card(key)[field] }}</dd>
              </div>
            </dl>
            <span v-if="card(key).total_breakdown" class="text-caption text-grey-8" data-marker="breakdown">{{ card(key).total_breakdown }}</span>
            <span :class="card(key).alert ? 'text-body2 text-negative' : 'text-body2'" data-marker="expiry">{{ card(key).expiry }}</span>
            <span v-if="card(key).expired && !compact" class="text-caption text-grey-8" data-marker="expired">{{ card(key).expired }}</span>
            <span v-if="card(key).forecast" :class="card(key).forecast_near ? 'text-body2 text-negative' : 'text-body2'" data-marker="forecast">{{ card(key).forecast }}</span>
            <span v-if="card(key).unused" class="text-body2 text-deep-orange-10" data-marker="unused">{{ card(key).unused }}</span>
            <template v-if="!compact">
              <span class="text-caption text-grey-8">{{ state.labels.trend }}</span>
              <div class="trend w-full relative" role="img" :aria-label="card(key).trend_label"
                   @mousemove="(e) => hover(key, e)" @mouseleave="hovered = null" style="height: 3rem">
                <svg class="w-full h-full block" :viewBox="'0 0 ' + Math.max(1, points(key) - 1) + ' 100'"
                     preserveAspectRatio="none" aria-hidden="true">
                  <path :d="trendPath(key, true)" fill="#1976d2" fill-opacity="0.15" stroke="none" />
                  <path :d="trendPath(key, false)" fill="none" stroke="#1565c0" stroke-width="1.5" vector-effect="non-scaling-stroke" />
                  <path :d="projectionPath(key)" fill="none" stroke="#1565c0" stroke-width="1.5" stroke-dasharray="4 3" vector-effect="non-scaling-stroke" />
                </svg>
                <span v-if="hovered && hovered.key === key" class="absolute top-0 text-caption bg-white shadow-1 q-px-xs"
                      :style="{ left: hovered.left }">{{ hovered.text }}</span>
              </div>
            </template>
            <div class="row gap-1">
              <q-btn v-for="action in state.actions" :key="action.kind" flat dense no-caps :icon="action.icon" color="primary"
                     :label="label(action, key)" :aria-label="label(action, key) + ' – ' + card(key).title"
                     :aria-expanded="action.kind === 'details' ? String(isOpen(key)) : undefined"
                     :data-marker="action.kind" @click="act(action.kind, key)" />
            </div>
          </section>
        </div>
      </section>
      <section v-if="state.suggestions && state.suggestions.length" class="q-card q-pa-md w-full column gap-2"
               aria-labelledby="suggestions-title" data-marker="suggestions">
        <h2 id="suggestions-title" class="text-h6 q-my-none" tabindex="-1">{{ state.labels.suggestions }}</h2>
        <p class="text-body2 text-grey-8 q-my-none">{{ state.labels.suggestions_intro }}</p>
        <div v-for="s in state.suggestions" :key="s.from_team + '-' + s.to_team"
             class="w-full row items-center no-wrap gap-2" data-marker="suggestion">
          <q-icon name="lightbulb" color="amber-9" aria-hidden="true" />
          <span class="grow text-body2">{{ s.text }}</span>
          <q-btn flat dense no-caps color="primary" :label="state.labels.review" :aria-label="s.review"
                 data-marker="review"
                 @click="$emit('review', { from_team: s.from_team, to_team: s.to_team })" />
        </div>
        <p v-if="state.suggestions_total" class="text-body2 text-weight-medium q-my-none"
           data-marker="suggestions-total">{{ state.suggestions_total }}</p>
      </section>
      <div class="row w-full gap-2">
        <q-btn flat no-caps color="primary" icon="bar_chart" :label="state.labels.contract_details"
               :aria-expanded="String(isOpen('contract-details'))" data-marker="contract-details"
               @click="act('contract-details', '')" />
        <q-btn flat no-caps color="primary" icon="tune" :label="state.labels.contract_controls"
               data-marker="contract-controls" @click="act('contract-controls', '')" />
        <q-btn flat no-caps color="primary" icon="block" :label="state.labels.refusals"
               :aria-expanded="String(isOpen('refusals'))" data-marker="refusals" @click="act('refusals', '')" />
      </div>
    </div>`,
  props: {
    view: Object,
    board: Number,
    room: String,
    open: Array,
  },
  data() {
    return {
      state: this.view,
      uid: this.board,
      charts: {},
      hovered: null,
      search: "",
      ...this.remembered(),
      phone: window.matchMedia("(max-width: 599.98px)").matches,
      announcement: "",
      pending: {},
      announcedAt: 0,
    };
  },
  computed: {
    sortOptions() {
      const l = this.state.labels;
      return [
        { value: "name", label: l.sort_name },
        { value: "available", label: l.sort_available },
        { value: "used", label: l.sort_used },
        { value: "total", label: l.sort_total },
        { value: "share", label: l.sort_share },
        { value: "expiry", label: l.sort_expiry },
      ];
    },
    kept() {
      // how this browser looks at its teams, kept across reloads (see remembered)
      const { sort, descending, filter, compact, table, rowsPerPage } = this;
      return { sort, descending, filter, compact, table, rowsPerPage };
    },
    collator() {
      // natural order ("Équipe 2" before "Équipe 10"), accents and case aside, as the page's language sorts
      return new Intl.Collator(this.state.locale, { numeric: true, sensitivity: "base" });
    },
    tableColumns() {
      const l = this.state.labels;
      /** @type {(name: string, label: string, align: string, sortable?: boolean) => object} */
      const column = (name, label, align, sortable = true) => ({ name, label, field: name, align, sortable });
      return [
        column("name", l.team, "left"),
        column("health", l.health, "left", false),
        column("available", l.available, "right"),
        column("used", l.used, "right"),
        column("total", l.total, "right"),
        column("share", l.sort_share, "right"),
        column("expiry", l.sort_expiry, "left"),
        column("actions", l.actions, "center", false),
      ];
    },
    tableRows() {
      return this.shown.map((/** @type {string} */ key) => {
        const c = this.state.cards[key];
        return {
          key,
          name: c.title,
          health: c.health_text,
          available: c.available,
          used: c.used,
          total: c.total,
          share: c.share,
          expiry: c.expiry,
        };
      });
    },
    pagination: {
      // the table's sort is the page's sort: one choice, kept through live updates, new teams and reloads
      get() {
        return { sortBy: this.sort, descending: this.descending, page: this.page, rowsPerPage: this.rowsPerPage };
      },
      set(value) {
        if (value.sortBy) this.sort = value.sortBy;
        this.descending = !!value.descending;
        this.page = value.page;
        this.rowsPerPage = value.rowsPerPage;
      },
    },
    filterOptions() {
      const l = this.state.labels;
      return [
        { value: "all", label: l.filter_all },
        { value: "red", label: l.filter_red },
        { value: "expiring", label: l.filter_expiring },
      ];
    },
    shown() {
      const needle = this.folded(this.search || "");
      const keys = this.state.order.filter((key) => {
        const card = this.state.cards[key];
        if (!card) return false;
        if (needle && !this.folded(card.title).includes(needle)) return false;
        if (this.filter === "red" && card.health !== "red") return false;
        if (this.filter === "expiring" && !card.expiring) return false;
        return true;
      });
      /** @type {(a: Card, b: Card) => number} */
      const byName = (a, b) => this.collator.compare(a.title, b.title);
      /** @type {Record<string, (a: Card, b: Card) => number>} */
      const orders = {
        name: byName,
        available: (a, b) => a.available_value - b.available_value,
        used: (a, b) => a.used_value - b.used_value,
        total: (a, b) => a.total_value - b.total_value,
        share: (a, b) => a.share_value - b.share_value,
        expiry: (a, b) => (a.expiry_sort < b.expiry_sort ? -1 : a.expiry_sort > b.expiry_sort ? 1 : 0),
      };
      const by = orders[this.sort] || byName;
      const sign = this.descending ? -1 : 1;
      const cards = this.state.cards;
      return [...keys].sort((x, y) => sign * by(cards[x], cards[y]) || byName(cards[x], cards[y]));
    },
    shownText() {
      return this.state.labels.shown
        .replace("{shown}", String(this.shown.length))
        .replace("{total}", String(this.state.order.length));
    },
    updatedText() {
      if (!this.state.updated) return "";
      try {
        // in the contract's zone, labelled as the bell and the e-mails label it: one zone on the page
        /** @type {Intl.DateTimeFormatOptions} */
        const form = { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: this.state.timezone };
        const time = new Intl.DateTimeFormat(this.state.locale, form).format(new Date(this.state.updated));
        return this.state.zone ? `${time} ${this.state.zone}` : time;
      } catch (e) {
        return this.state.updated;
      }
    },
  },
  watch: {
    view(view) {
      this.replace(view);
    },
    shown() {
      this.$nextTick(() => this.drawQueued());
    },
    compact() {
      this.$nextTick(() => this.drawQueued());
    },
    table() {
      this.$nextTick(() => this.drawQueued());
    },
    kept() {
      this.remember();
    },
    search() {
      this.page = 1;
    },
  },
  created() {
    this.parsed = {}; // not reactive: a cache of the trends split, by card
  },
  mounted() {
    this.phoneQuery = window.matchMedia("(max-width: 599.98px)");
    this.onPhone = (/** @type {MediaQueryListEvent} */ e) => {
      this.phone = e.matches;
    };
    this.phoneQuery.addEventListener("change", this.onPhone);
    performance.mark("balances:numbers"); // for benchmarks and real-user monitoring
    this.drawQueued();
    this.onPatch = (/** @type {import("./board-types").Patch} */ message) =>
      message.room === this.room && this.apply(message);
    this.onFull = (/** @type {{ room: string, view: BoardView }} */ message) =>
      message.room === this.room && this.replace(message.view);
    this.join = () => window.socket?.emit("balances_join", { client_id: window.clientId, board: this.board });
    const attach = () => {
      if (this.unmounted) return;
      if (!window.socket) {
        console.error("balances: no socket to join the board's room"); // NiceGUI creates it before any microtask
        return;
      }
      window.socket.on("balances", this.onPatch);
      window.socket.on("balances_full", this.onFull);
      window.socket.on("connect", this.join); // again after every reconnection, which also resends the whole view
      if (window.socket.connected) this.join();
    };
    // A board in the first page is mounted before NiceGUI's app, whose own mounted() creates the socket in the same
    // task: the socket exists once that task's synchronous work is done. A board added later finds it at once.
    if (window.socket) attach();
    else queueMicrotask(attach);
  },
  beforeUnmount() {
    this.unmounted = true;
    this.phoneQuery?.removeEventListener("change", this.onPhone);
    if (window.socket) {
      window.socket.off("balances", this.onPatch);
      window.socket.off("balances_full", this.onFull);
      window.socket.off("connect", this.join);
    }
    clearTimeout(this.announceTimer ?? undefined);
    this.sight?.disconnect();
    for (const chart of Object.values(this.charts)) chart.instance?.dispose();
  },
  methods: {
    card(key) {
      return this.state.cards[key];
    },
    remembered() {
      // how this browser last looked at its teams: the sort, its direction, the filter and the view
      /** @type {Record<string, unknown>} */
      const chosen = {
        sort: "name",
        descending: false,
        filter: "all",
        compact: false,
        table: false,
        page: 1,
        rowsPerPage: 25,
      };
      try {
        const kept = JSON.parse(window.localStorage.getItem("balances.teams") || "{}");
        for (const name of ["sort", "descending", "filter", "compact", "table", "rowsPerPage"]) {
          if (typeof kept[name] === typeof chosen[name]) chosen[name] = kept[name];
        }
      } catch (e) {
        // nothing kept, or unreadable: the defaults
      }
      return chosen;
    },
    remember() {
      try {
        window.localStorage.setItem("balances.teams", JSON.stringify(this.kept));
      } catch (e) {
        // storage refused (private mode): kept for this page only
      }
    },
    folded(text) {
      // "equipe" finds "Équipe": accents and case aside
      return text
        .normalize("NFD")
        .replace(/\p{Diacritic}/gu, "")
        .toLocaleLowerCase()
        .trim();
    },
    healthIcon(key) {
      const health = this.card(key).health;
      return health === "green" ? "check_circle" : health === "red" ? "warning" : "remove_circle_outline";
    },
    healthColor(key) {
      const health = this.card(key).health;
      return health === "green" ? "positive" : health === "red" ? "negative" : "grey-8";
    },
    actionsOf(key) {
      return this.state.labels.actions_of.replace("{team}", this.card(key).title);
    },
    isOpen(key) {
      return (this.open || []).includes(key);
    },
    label(action, key) {
      return action.kind === "details" && this.isOpen(key) ? this.state.labels.hide_details : action.label;
    },
    act(kind, key) {
      this.$emit("action", { kind, key });
    },
    chartRef(key, el) {
      if (!el) return;
      if (this.charts[key]?.el === el) return;
      const old = this.charts[key];
      if (old) {
        old.instance?.dispose();
        this.sight?.unobserve(old.el);
      }
      this.charts[key] = { el, instance: null };
      el.dataset.chart = key;
      this.watchSight().observe(el);
    },
    watchSight() {
      // a donut is drawn when its card comes near the screen: with 200 teams, the first screen is drawn at once
      // instead of after every chart of the page (each costs tens of milliseconds without a GPU)
      if (!this.sight) {
        this.sight = new IntersectionObserver(
          (entries) => {
            for (const entry of entries) {
              if (!entry.isIntersecting) continue;
              this.sight.unobserve(entry.target);
              this.queue = this.queue || [];
              this.queue.push(/** @type {HTMLElement} */ (entry.target).dataset.chart);
            }
            if (this._isMounted) this.drawQueued();
          },
          { rootMargin: "400px 0px" }, // drawn a little before they come into view
        );
      }
      return this.sight;
    },
    drawQueued() {
      // the numbers are on screen at once; the donuts follow, a few per frame, so the page stays responsive
      this._isMounted = true;
      if (this.drawing || !this.queue?.length) return;
      this.drawing = true;
      const step = () => {
        if (this.unmounted) return;
        const until = performance.now() + 30;
        while (this.queue.length && performance.now() < until) this.draw(this.queue.shift());
        if (this.queue.length) requestAnimationFrame(step);
        else {
          this.drawing = false;
          if (!performance.getEntriesByName("balances:drawn").length) performance.mark("balances:drawn");
        }
      };
      requestAnimationFrame(step);
    },
    draw(key) {
      const chart = this.charts[key];
      if (!chart || !this.card(key) || !chart.el.isConnected) return;
      if (!chart.instance) chart.instance = echarts.init(chart.el, null, { renderer: "svg" });
      chart.instance.setOption(this.donut(this.card(key)), true);
    },
    redraw(key) {
      if (this.charts[key]?.instance) this.draw(key);
    },
    series(key) {
      // a trend travels as two strings (values, and their texts as the locale writes them): split once per change
      const card = this.card(key);
      const known = this.parsed[key];
      if (known && known.trend === card.trend && known.text === card.trend_text) return known;
      const values = card.trend ? card.trend.split("|").map(Number) : [];
      const projection = Array.from({ length: PROJECTION_DAYS }, (_, i) =>
        i < card.projection_days ? card.projection_rate : 0,
      );
      const found = {
        trend: card.trend,
        text: card.trend_text,
        values,
        texts: card.trend_text ? card.trend_text.split("|") : [],
        projection,
      };
      this.parsed[key] = found;
      return found;
    },
    points(key) {
      const series = this.series(key);
      return series.values.length + series.projection.length;
    },
    top(key) {
      const series = this.series(key);
      return Math.max(...series.values, ...series.projection, 0) || 1;
    },
    trendPath(key, area) {
      // a sparkline in a 0..n × 0..100 box, drawn as SVG by Vue: no chart instance per card
      /** @type {number[]} */
      const values = this.series(key).values;
      const top = this.top(key);
      const points = values.map((v, i) => `${i},${(100 - (v / top) * 96).toFixed(2)}`);
      if (!points.length) return "";
      return area ? `M0,100 L${points.join(" L")} L${values.length - 1},100 Z` : `M${points.join(" L")}`;
    },
    projectionPath(key) {
      /** @type {{ values: number[], projection: number[] }} */
      const { values, projection } = this.series(key);
      if (!projection.length || !values.length) return "";
      const top = this.top(key);
      const start = values.length - 1;
      const points = [[start, values[start]], ...projection.map((v, i) => [start + 1 + i, v])];
      return `M${points.map(([x, v]) => `${x},${(100 - (v / top) * 96).toFixed(2)}`).join(" L")}`;
    },
    hover(key, event) {
      const card = this.card(key);
      const box = event.currentTarget.getBoundingClientRect();
      const count = this.points(key);
      const index = Math.round(((event.clientX - box.left) / box.width) * (count - 1));
      if (index < 0 || index >= count) return;
      const left = `${Math.min(box.width - 140, Math.max(0, event.clientX - box.left))}px`;
      const day = this.state.trend_days[index] || "";
      const series = this.series(key);
      const projected = index >= series.values.length;
      const value = projected ? card.projection_text : series.texts[index];
      const form = projected ? this.state.labels.point_projected : this.state.labels.point;
      this.hovered = { key, left, text: form.replace("{day}", day).replace("{value}", value) };
    },
    donut(card) {
      const labels = this.state.labels;
      const color = card.health === "green" ? GREEN : card.health === "red" ? RED : NONE;
      const empty = card.health === "none";
      return {
        animation: false,
        aria: { enabled: false },
        title: {
          text: card.share,
          subtext: empty ? "" : labels.available_short,
          left: "center",
          top: "36%",
          textStyle: { fontSize: 17, color: empty ? "#424242" : color },
          subtextStyle: { fontSize: 11, color: "#424242" },
        },
        tooltip: empty
          ? { show: false }
          : {
              trigger: "item",
              formatter: (/** @type {{ name: string, dataIndex: number }} */ p) =>
                labels.point.replace("{day}", p.name).replace("{value}", card.ring_text[p.dataIndex]),
            },
        series: [
          {
            type: "pie",
            radius: ["62%", "82%"],
            silent: empty,
            label: { show: false },
            data: empty
              ? [{ name: "", value: 1, itemStyle: { color: NONE } }]
              : [
                  { name: labels.available, value: card.ring[0], itemStyle: { color } },
                  { name: labels.used, value: card.ring[1], itemStyle: { color: USED } },
                  { name: labels.expired, value: card.ring[2], itemStyle: { color: EXPIRED } },
                ],
          },
        ],
      };
    },
    announce(key) {
      // changed numbers reach screen readers as one polite message now and then, never on every tick
      this.pending[key] = true;
      if (this.announceTimer) return;
      const wait = Math.max(0, this.announcedAt + ANNOUNCE_EVERY - Date.now());
      this.announceTimer = setTimeout(() => {
        const parts = Object.keys(this.pending)
          .filter((k) => this.state.cards[k])
          .map((k) =>
            this.state.labels.announce
              .replace("{team}", this.state.cards[k].title)
              .replace("{available}", this.state.cards[k].available),
          );
        this.pending = {};
        this.announceTimer = null;
        this.announcedAt = Date.now();
        this.announcement = parts.join(" · ");
      }, wait);
    },
    apply(message) {
      for (const [key, fields] of Object.entries(message.cards || {})) {
        const card = this.state.cards[key];
        if (!card) {
          this.state.cards[key] = fields; // a new team: every field of its card
          continue;
        }
        Object.assign(card, fields);
        if ("available" in fields) this.announce(key);
        this.redraw(key);
      }
      for (const field of [
        "alert",
        "updated",
        "zone",
        "summary",
        "order",
        "actions",
        "suggestions",
        "suggestions_total",
      ]) {
        if (field in message) Object.assign(this.state, { [field]: message[/** @type {keyof Patch} */ (field)] });
      }
    },
    replace(view) {
      this.parsed = {};
      this.state = view;
      this.$nextTick(() => {
        for (const key of this.shown) this.redraw(key);
      });
    },
  },
};
