// What the board asks of ECharts: a chart per donut, given its options (kept, for the tests to read).
export const echarts = {
  init() {
    return {
      options: null,
      setOption(options) {
        this.options = options;
      },
      dispose() {},
    };
  },
};
