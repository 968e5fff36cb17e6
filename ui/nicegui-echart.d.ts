// The page's import map names NiceGUI's bundle of ECharts "nicegui-echart": what the board uses of it.
declare module "nicegui-echart" {
  /** NiceGUI's bundle of ECharts, as the page's import map names it. */
  export const echarts: {
    init(
      el: HTMLElement,
      theme: null,
      options: { renderer: "svg" | "canvas" },
    ): {
      setOption(options: object, replace?: boolean): void;
      dispose(): void;
    };
  };
}
