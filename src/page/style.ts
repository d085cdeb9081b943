/**
 * The status page's stylesheet, inlined into the page: fluid down to a phone's width, dark when
 * the reader's system is (`prefers-color-scheme`), colours with enough contrast on either, and
 * every colour backed by a word (a status, a figure) for whoever cannot tell them apart.
 */
export const PAGE_CSS = `
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1b1f24;--muted:#57606a;--card:#f6f8fa;--line:#d0d7de;
--up:#1a7f37;--degraded:#9a6700;--down:#cf222e;--unknown:#6e7781;
--d4:#1a7f37;--d3:#4ac26b;--d2:#d4a72c;--d1:#e16f24;--d0:#cf222e;--dn:#d0d7de;--warn-bg:#fff8c5;--warn-fg:#4d2d00;--chart:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--card:#161b22;--line:#30363d;
--up:#3fb950;--degraded:#d29922;--down:#f85149;--unknown:#8b949e;
--d4:#2ea043;--d3:#56d364;--d2:#d29922;--d1:#db6d28;--d0:#f85149;--dn:#30363d;--warn-bg:#3d2e00;--warn-fg:#f8e3a1;--chart:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:0;overflow-wrap:anywhere}
h3{font-size:1rem;margin:.75rem 0 .25rem}
p{margin:.25rem 0}
.muted{color:var(--muted)}
.warning{background:var(--warn-bg);color:var(--warn-fg);border:1px solid var(--degraded);border-radius:.4rem;padding:.5rem .75rem;margin:.5rem 0;font-weight:600}
.warning[hidden]{display:none}
.service{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem;margin:0 0 1rem}
.head{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;justify-content:space-between}
.status{font-weight:700;white-space:nowrap}
.status.up{color:var(--up)}.status.degraded{color:var(--degraded)}.status.down{color:var(--down)}.status.unknown,.status.disabled{color:var(--unknown)}
.uptime{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:.5rem 0;padding:0}
.uptime div{display:flex;gap:.4rem}.uptime dt{color:var(--muted)}.uptime dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.bar{display:flex;gap:2px;list-style:none;margin:.25rem 0;padding:0;height:2rem}
.bar li{flex:1 1 0;min-width:0;border-radius:2px;background:var(--dn)}
.bar .d4{background:var(--d4)}.bar .d3{background:var(--d3)}.bar .d2{background:var(--d2)}.bar .d1{background:var(--d1)}.bar .d0{background:var(--d0)}
.scale{display:flex;justify-content:space-between;font-size:.8rem;color:var(--muted)}
svg.chart{display:block;width:100%;height:3.5rem;background:var(--bg);border:1px solid var(--line);border-radius:.25rem}
svg.chart polyline{fill:none;stroke:var(--chart);stroke-width:1.5}
ul.list{margin:.25rem 0;padding-left:1.25rem}
ul.list li{overflow-wrap:anywhere}
.bad{color:var(--down);font-weight:600}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
`;
