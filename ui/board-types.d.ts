// The contract between the server and the page's code: what ui/cards.py sends (its dataclasses, field for field —
// tests/ui/test_board_types.py keeps the two equal) and the shape of the components that draw it.

export interface CardView {
  team: number | null;
  title: string;
  health: string;
  health_text: string;
  share: string;
  share_value: number;
  ring: [number, number, number];
  ring_text: [string, string, string];
  available: string;
  available_value: number;
  used: string;
  used_value: number;
  total: string;
  total_value: number;
  total_breakdown: string;
  donut_label: string;
  products: string;
  users: string;
  expiry: string;
  expiry_sort: string;
  alert: boolean;
  expiring: boolean;
  expired: string;
  forecast: string;
  forecast_near: boolean;
  unused: string;
  trend: string;
  trend_text: string;
  projection_rate: number;
  projection_days: number;
  projection_text: string;
  trend_label: string;
}

export interface SuggestionView {
  from_team: number;
  to_team: number;
  text: string;
  review: string;
}

export interface BoardView {
  lang: string;
  locale: string;
  mode: string;
  title: string;
  labels: Record<string, string>;
  actions: Record<string, string>[];
  cards: Record<string, CardView>;
  order: string[];
  trend_days: string[];
  summary: Record<string, unknown>;
  suggestions: SuggestionView[];
  suggestions_total: string;
  alert: string;
  updated: string;
  timezone: string;
  zone: string;
}

/** A patch the server broadcasts to a contract's pages: the changed fields of changed cards, and of the rest. */
export interface Patch extends Partial<Omit<BoardView, "cards">> {
  room?: string;
  cards?: Record<string, Partial<CardView>>;
}

/** What the board's methods and computed values see as `this`: its data (typed) and the rest of the component. */
export interface Board {
  view: BoardView;
  board: number;
  room: string;
  open: string[];
  state: BoardView;
  uid: number;
  charts: Record<
    string,
    { el: HTMLElement; instance: { setOption(o: object, replace?: boolean): void; dispose(): void } | null }
  >;
  parsed: Record<string, { trend: string; text: string; values: number[]; texts: string[]; projection: number[] }>;
  hovered: { key: string; left: string; text: string } | null;
  search: string;
  sort: string;
  descending: boolean;
  filter: string;
  compact: boolean;
  table: boolean;
  page: number;
  rowsPerPage: number;
  phone: boolean;
  announcement: string;
  pending: Record<string, boolean>;
  announcedAt: number;
  announceTimer: ReturnType<typeof setTimeout> | null;
  $emit(event: string, ...args: unknown[]): void;
  $nextTick(callback: () => void): void;
  // biome-ignore lint/suspicious/noExplicitAny: the methods and computed values of the component, each typed where it is written
  [member: string]: any;
}

declare global {
  interface Window {
    /** NiceGUI's socket.io connection, and this page's client id on it. */
    socket?: {
      connected: boolean;
      on(event: string, handler: (message: never) => void): void;
      off(event: string, handler: (message: never) => void): void;
      emit(event: string, message: object): void;
    };
    clientId: string;
  }
}

/** A computed value a component's own v-model sets (the table's pagination). */
export interface Settable<Self> {
  get(this: Self): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: what it is set to, as the child component sends it
  set(this: Self, value: any): void;
}

/** A Vue component's options, as NiceGUI loads them, with `this` the component. */
export interface Component<Self> {
  template: string;
  props?: Record<string, unknown>;
  data?(this: Self): object;
  computed?: Record<string, ((this: Self) => unknown) | Settable<Self>>;
  // biome-ignore lint/suspicious/noExplicitAny: a watched value, whatever it watches
  watch?: Record<string, (this: Self, value: any) => void>;
  created?(this: Self): void;
  mounted?(this: Self): void;
  unmounted?(this: Self): void;
  beforeUnmount?(this: Self): void;
  // biome-ignore lint/suspicious/noExplicitAny: the arguments of an event or a template's call
  methods?: Record<string, (this: Self, ...args: any[]) => unknown>;
}
