// The board of a contract: every holder's card, drawn here from one shared view and kept current by the patches
// the server broadcasts to every page of the contract (see ui/hub.py). Charts are ECharts, as bundled by NiceGUI.
import { echarts } from "nicegui-echart";

const GREEN = "#2e7d32";
const RED = "#c62828";
const USED = "#b0bec5";
const EXPIRED = "#e0e0e0";

export default {
  template: `
    <div class="balances-board w-full">
      <div class="row items-center w-full mb-2">
        <span class="text-caption text-grey-8" data-marker="updated">{{ state.updated }}</span>
      </div>
      <div v-if="state.alert" role="status" class="w-full p-3 mb-4 rounded bg-orange-1 text-orange-10" data-marker="alert">{{ state.alert }}</div>
      <p v-if="!state.order.length" class="p-2" data-marker="empty">{{ state.labels.empty }}</p>
      <div class="grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-4 w-full">
        <section v-for="key in state.order" :key="key" class="q-card q-pa-md column gap-2"
                 :data-marker="'card-' + key" :aria-labelledby="'title-' + uid + '-' + key">
          <div class="row items-center no-wrap gap-2">
            <h2 :id="'title-' + uid + '-' + key" class="text-h6 q-my-none grow ellipsis">{{ card(key).title }}</h2>
            <q-icon :name="card(key).health == 'green' ? 'check_circle' : 'warning'" size="sm"
                    :color="card(key).health == 'green' ? 'positive' : 'negative'" aria-hidden="true" />
            <span class="text-caption" data-marker="health">{{ card(key).health_text }}</span>
          </div>
          <div class="row items-center no-wrap gap-2">
            <div class="donut shrink-0" role="img" :aria-label="card(key).donut_label"
                 :ref="(el) => chartRef('donut', key, el)" style="width: 9rem; height: 9rem"></div>
            <div class="column gap-1 grow">
              <span class="text-caption text-grey-8">{{ state.labels.last_90_days }}</span>
              <span data-marker="products">{{ card(key).products }}</span>
              <span data-marker="users">{{ card(key).users }}</span>
            </div>
          </div>
          <dl class="grid grid-cols-3 gap-2 w-full q-my-none">
            <div v-for="field in ['available', 'used', 'total']" :key="field" class="column items-center">
                <dt class="text-caption text-grey-8 text-center">{{ state.labels[field] }}</dt>
              <dd class="text-base sm:text-xl font-medium q-ma-none text-center tabular-nums [overflow-wrap:anywhere]" :data-marker="field">{{ card(key)[field] }}</dd>
            </div>
          </dl>
          <span :class="card(key).alert ? 'text-body2 text-negative' : 'text-body2'" data-marker="expiry">{{ card(key).expiry }}</span>
          <span v-if="card(key).expired" class="text-caption text-grey-8" data-marker="expired">{{ card(key).expired }}</span>
          <span class="text-caption text-grey-8">{{ state.labels.trend }}</span>
          <div class="trend w-full relative" role="img" :aria-label="card(key).trend_label"
               @mousemove="(e) => hover(key, e)" @mouseleave="hovered = null" style="height: 3rem">
            <svg class="w-full h-full block" :viewBox="'0 0 ' + Math.max(1, card(key).trend.length - 1) + ' 100'"
                 preserveAspectRatio="none" aria-hidden="true">
              <path :d="trendPath(card(key).trend, true)" fill="#1976d2" fill-opacity="0.15" stroke="none" />
              <path :d="trendPath(card(key).trend, false)" fill="none" stroke="#1976d2" stroke-width="1.5"
                    vector-effect="non-scaling-stroke" />
            </svg>
            <span v-if="hovered && hovered.key === key" class="absolute top-0 text-caption bg-white shadow-1 q-px-xs"
                  :style="{ left: hovered.left }">{{ hovered.text }}</span>
          </div>
          <div class="row gap-1">
            <q-btn v-for="action in state.actions" :key="action.kind" flat dense no-caps :icon="action.icon"
                   :label="action.label" :aria-label="action.label + ' – ' + card(key).title"
                   :data-marker="action.kind" @click="act(action.kind, key)" />
          </div>
        </section>
      </div>
    </div>`,
  props: {
    view: Object,
    board: Number,
    room: String,
  },
  data() {
    return { state: this.view, uid: this.board, charts: {}, hovered: null };
  },
  watch: {
    view(view) {
      this.replace(view);
    },
  },
  mounted() {
    performance.mark("balances:numbers"); // for benchmarks and real-user monitoring
    this.drawQueued();
    this.onPatch = (message) => message.room === this.room && this.apply(message);
    this.onFull = (message) => message.room === this.room && this.replace(message.view);
    this.join = () => window.socket.emit("balances_join", { client_id: window.clientId, board: this.board });
    const attach = () => {
      if (!window.socket) return setTimeout(attach, 10);
      window.socket.on("balances", this.onPatch);
      window.socket.on("balances_full", this.onFull);
      window.socket.on("connect", this.join); // again after every reconnection, which also resends the whole view
      if (window.socket.connected) this.join();
    };
    attach();
  },
  beforeUnmount() {
    this.unmounted = true;
    if (window.socket) {
      window.socket.off("balances", this.onPatch);
      window.socket.off("balances_full", this.onFull);
      window.socket.off("connect", this.join);
    }
    for (const chart of Object.values(this.charts)) chart.instance?.dispose();
  },
  methods: {
    card(key) {
      return this.state.cards[key];
    },
    act(kind, key) {
      this.$emit("action", { kind, key });
    },
    chartRef(type, key, el) {
      const id = type + ":" + key;
      if (!el) return;
      if (this.charts[id]?.el === el) return;
      el.dataset.chart = type;
      el.dataset.key = key;
      this.charts[id] = { el, instance: null };
      this.queue = this.queue || [];
      this.queue.push([type, key]);
      if (this._isMounted) this.drawQueued();
    },
    drawQueued() {
      // the numbers are on screen at once; the charts follow, a few per frame, so the page stays responsive
      this._isMounted = true;
      if (this.drawing || !this.queue?.length) return;
      this.drawing = true;
      const step = () => {
        if (this.unmounted) return;
        for (const [type, key] of this.queue.splice(0, 12)) this.draw(type, key);
        if (this.queue.length) requestAnimationFrame(step);
        else {
          this.drawing = false;
          if (!performance.getEntriesByName("balances:drawn").length) performance.mark("balances:drawn");
        }
      };
      requestAnimationFrame(step);
    },
    draw(type, key) {
      const chart = this.charts[type + ":" + key];
      if (!chart || !this.card(key)) return;
      if (!chart.instance) chart.instance = echarts.init(chart.el, null, { renderer: "svg" });
      chart.instance.setOption(this.donut(this.card(key)));
    },
    redraw(key) {
      if (this.charts["donut:" + key]?.instance) this.draw("donut", key);
    },
    trendPath(values, area) {
      // a sparkline in a 0..n × 0..100 box, drawn as SVG by Vue: no chart instance per card
      const top = Math.max(...values, 0) || 1;
      const points = values.map((v, i) => i + "," + (100 - (v / top) * 96).toFixed(2));
      if (!points.length) return "";
      return area ? "M0,100 L" + points.join(" L") + " L" + (values.length - 1) + ",100 Z" : "M" + points.join(" L");
    },
    hover(key, event) {
      const card = this.card(key);
      const box = event.currentTarget.getBoundingClientRect();
      const index = Math.round(((event.clientX - box.left) / box.width) * (card.trend.length - 1));
      if (index < 0 || index >= card.trend.length) return;
      const left = Math.min(box.width - 120, Math.max(0, event.clientX - box.left)) + "px";
      this.hovered = { key, left, text: this.state.trend_days[index] + ": " + card.trend_text[index] };
    },
    donut(card) {
      const labels = this.state.labels;
      return {
        animation: false,
        aria: { enabled: false },
        title: {
          text: card.share,
          subtext: labels.available_short,
          left: "center",
          top: "36%",
          textStyle: { fontSize: 18, color: card.health === "green" ? GREEN : RED },
          subtextStyle: { fontSize: 11, color: "#424242" },
        },
        tooltip: { trigger: "item", formatter: (p) => p.name + ": " + card.ring_text[p.dataIndex] },
        series: [
          {
            type: "pie",
            radius: ["62%", "82%"],
            silent: false,
            label: { show: false },
            data: [
              { name: labels.available, value: card.ring[0], itemStyle: { color: card.health === "green" ? GREEN : RED } },
              { name: labels.used, value: card.ring[1], itemStyle: { color: USED } },
              { name: labels.expired, value: card.ring[2], itemStyle: { color: EXPIRED } },
            ],
          },
        ],
      };
    },
    apply(message) {
      for (const [key, fields] of Object.entries(message.cards || {})) {
        const card = this.state.cards[key];
        if (!card) continue;
        for (const [field, value] of Object.entries(fields)) {
          if (field === "trend_points") {
            for (const [index, point] of Object.entries(value)) {
              card.trend[index] = point[0];
              card.trend_text[index] = point[1];
            }
          } else {
            card[field] = value;
          }
        }
        this.redraw(key);
      }
      for (const field of ["alert", "updated", "version"]) {
        if (field in message) this.state[field] = message[field];
      }
    },
    replace(view) {
      this.state = view;
      this.$nextTick(() => {
        for (const key of this.state.order) this.redraw(key);
      });
    },
  },
};
