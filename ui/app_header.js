// The header every page shares: the product's name, the contract switch, the alerts bell, the language, who is
// signed in and the way out — one element, so that a page costs the server a handful of elements (see ui/header.py).
/** @type {import("./board-types").Component<Record<string, any>>} */
export default {
  template: `
    <q-header class="nicegui-header wrap items-center gap-x-3 gap-y-1 flex-wrap bg-white text-black shadow-sm q-py-xs row q-px-md">
      <div class="text-h6 text-weight-bold">{{ title }}</div>
      <q-select v-if="contracts" :model-value="contract" :options="contracts" emit-value map-options dense outlined
                options-dense :label="contractLabel" class="min-w-[16rem] max-w-full" data-marker="contract"
                @update:model-value="(value) => $emit('contract', value)" />
      <q-space />
      <q-btn v-if="bell" flat round dense icon="notifications" :aria-label="bell.label" data-marker="bell"
             @click="$emit('bell')">
        <q-badge v-if="bell.count" color="negative" floating rounded data-marker="unread">{{ bell.count }}</q-badge>
      </q-btn>
      <q-select :model-value="lang" :options="languages" emit-value map-options dense outlined options-dense
                :label="langLabel" class="w-44" data-marker="lang"
                @update:model-value="(value) => $emit('language', value)" />
      <template v-if="email">
        <div class="text-caption gt-sm" data-marker="signed-in-as">{{ email }}</div>
        <q-btn flat round dense icon="logout" :aria-label="signOut" href="/logout" data-marker="sign-out">
          <q-tooltip>{{ signOut }}</q-tooltip>
        </q-btn>
      </template>
    </q-header>`,
  props: {
    title: String,
    lang: String,
    languages: Array,
    langLabel: String,
    email: String,
    signOut: String,
    contracts: Array,
    contract: Number,
    contractLabel: String,
    bell: Object,
  },
  mounted() {
    // as NiceGUI's own header: link targets are not hidden behind it
    this.resizeObserver = new ResizeObserver(() => {
      document.documentElement.style.scrollPaddingTop = `${this.$el.offsetHeight}px`;
    });
    this.resizeObserver.observe(this.$el);
  },
  unmounted() {
    this.resizeObserver?.disconnect();
  },
};
