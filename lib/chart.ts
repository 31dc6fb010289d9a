/**
 * Renders a vega-lite spec to SVG headless, for the benchmark report and the reproducibility lab.
 * vega and vega-lite are ES modules only; a real dynamic import (not one tsc rewrites into
 * require) loads them from this CommonJS build.
 */

const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

export type VegaLiteSpec = Record<string, unknown>;

/** SVG text of a vega-lite spec (data inline in the spec). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vl] = await Promise.all([importEsm('vega'), importEsm('vega-lite')]);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
