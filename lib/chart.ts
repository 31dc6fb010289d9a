/**
 * Charts as vega-lite specs, and their SVG when vega and vega-lite are installed. Both are optional
 * peer dependencies (about 25 MB between them), loaded only when a chart is drawn: the spec
 * (`<name>.vl.json`) is always written, so a chart can be rendered later or elsewhere.
 * vega and vega-lite are ES modules only; a real dynamic import (not one tsc rewrites into
 * require) loads them from this CommonJS build.
 */

const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

export type VegaLiteSpec = Record<string, unknown>;

/** The one line printed when the charts stay specs. */
export const SVG_HINT = 'charts written as vega-lite specs (*.vl.json); `npm i vega vega-lite` to get them as SVG too';

type Renderer = (spec: VegaLiteSpec) => Promise<string>;
let renderer: Promise<Renderer | null> | undefined;

/** The SVG renderer, or null when vega or vega-lite is not installed (looked up once). */
function svgRenderer(): Promise<Renderer | null> {
  renderer ??= Promise.all([importEsm('vega'), importEsm('vega-lite')]).then(
    ([vega, vl]) => async (spec: VegaLiteSpec) => {
      const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
      try {
        return await view.toSVG();
      } finally {
        view.finalize();
      }
    },
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') return null;
      throw e;
    },
  );
  return renderer;
}

/** Whether vega and vega-lite are installed (so {@link chartFiles} also gives SVG). */
export async function canRenderSvg(): Promise<boolean> {
  return (await svgRenderer()) !== null;
}

/** A chart's files as [name, text]: `<name>.vl.json` always, `<name>.svg` when vega is installed. */
export async function chartFiles(name: string, spec: VegaLiteSpec): Promise<[string, string][]> {
  const files: [string, string][] = [[`${name}.vl.json`, `${JSON.stringify(spec, null, 1)}\n`]];
  const render = await svgRenderer();
  if (render) files.push([`${name}.svg`, await render(spec)]);
  return files;
}
