// The page's import map, for node: "nicegui-echart" is NiceGUI's bundle of ECharts there, a stub here.
const STUB = new URL("./echarts-stub.mjs", import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === "nicegui-echart") return { url: STUB, shortCircuit: true };
  return next(specifier, context);
}
