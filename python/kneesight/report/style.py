"""The report's inline stylesheet (screen and print) and its image-check script."""

CSS = """
:root { --ink:#1d2329; --muted:#5d6770; --line:#dde2e7; --bg:#f5f7f9; --accent:#0b5c7a;
        --left:#1f6fb4; --right:#d1432b; --warn:#b3261e; --warnbg:#fdf1ef; --ok:#2b7a3e; }
* { box-sizing: border-box; }
html { background: var(--bg); }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 40px; color: var(--ink);
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       background: white; box-shadow: 0 0 0 1px var(--line); }
header.top { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px;
             border-bottom: 3px solid var(--accent); padding-bottom: 12px; }
h1 { font-size: 26px; margin: 0 0 2px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 30px 0 10px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line);
     color: var(--accent); }
h4 { margin: 14px 0 4px; font-size: 15px; }
.sub { color: var(--muted); margin: 0; }
.badge { border: 1.5px solid var(--accent); color: var(--accent); border-radius: 6px;
         padding: 6px 10px; font-weight: 600; font-size: 13px; white-space: nowrap; }
.strip { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 18px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
        background: #fbfcfd; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 22px; font-weight: 650; }
.card.alert { border-color: #efb8b1; background: var(--warnbg); }
.card.alert .v { color: var(--warn); }
.snaps { display: flex; gap: 18px; justify-content: center; flex-wrap: wrap; }
figure { margin: 0; }
.snaps figure { flex: 1 1 0; max-width: 470px; text-align: center; }
.snaps img { width: 100%; border-radius: 6px; border: 1px solid var(--line); }
figure.wide img { width: 100%; }
figcaption, .caption { color: var(--muted); font-size: 13px; margin-top: 6px; }
.missing { border: 1.5px dashed #c2c9d0; border-radius: 6px; padding: 40px 18px;
           color: var(--muted);
           background: #fafbfc; min-height: 180px; display: flex; flex-direction: column;
           justify-content: center; }
.missing b { color: var(--ink); }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
thead th { background: #eef2f5; font-size: 12.5px; text-transform: uppercase; letter-spacing: .03em;
           color: #3d4750; }
tr.group th { background: #f7f9fa; color: var(--accent); font-size: 13.5px; padding-top: 9px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.num[colspan] { text-align: center; }
td.out { color: var(--warn); font-weight: 700; }
td.src, .src { color: var(--muted); font-size: 12.5px; }
table.kv td:first-child { width: 32%; color: #3d4750; }
.na { color: #8b949c; font-style: italic; }
ul.flags { list-style: none; padding: 0; margin: 0; display: grid; gap: 8px; }
li.flag { border: 1px solid #efb8b1; border-left: 5px solid var(--warn); background: var(--warnbg);
          border-radius: 6px; padding: 8px 12px; display: flex; flex-wrap: wrap; gap: 4px 12px;
          align-items: baseline; }
li.flag .msg { font-weight: 650; }
li.flag .src { flex-basis: 100%; }
.side { font-size: 12px; font-weight: 700; color: white; border-radius: 4px; padding: 1px 7px; }
.side-left { background: var(--left); } .side-right { background: var(--right); }
.ok-note { border-left: 5px solid var(--ok); background: #eff7f1; padding: 8px 12px;
           border-radius: 6px; }
.screening { border-left: 5px solid var(--accent); background: #eef5f8; padding: 8px 12px;
             border-radius: 6px; font-weight: 500; }
.referral { border: 1px solid #e6cf8f; background: #fdf8e8; border-radius: 6px;
            padding: 4px 14px 8px;
            margin-top: 12px; }
.legend-dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%;
              vertical-align: -1px; margin: 0 3px 0 8px; }
footer { margin-top: 34px; padding-top: 10px; border-top: 1px solid var(--line);
         color: var(--muted);
         font-size: 12.5px; }
td.sub { padding-left: 22px; }
.note { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
.mark { font-size: 10px; vertical-align: 1px; }
a.ref { color: var(--accent); text-decoration: none; font-size: 12px; }
ol.refs { font-size: 13px; color: #3d4750; padding-left: 22px; }
ol.refs li { margin-bottom: 4px; }
.advice { border-left: 3px solid #c9d6de; padding: 0 0 0 12px; margin: 10px 0; }
.advice h4 { margin: 4px 0 2px; }
.advice p { margin: 2px 0; }
.why { color: var(--muted); font-size: 12.5px; }
.referral h3 { font-size: 15px; margin: 8px 0 4px; color: #6b5200; }
.total { font-size: 15px; }
ul.small { font-size: 13px; color: #3d4750; margin-top: 0; }
ul.warnings { color: var(--warn); }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
@media (max-width: 820px) { .strip { grid-template-columns: repeat(2, 1fr); }
  .cols { grid-template-columns: 1fr; } header.top { flex-direction: column; } }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html { background: white; }
  body { max-width: none; padding: 0; box-shadow: none; font-size: 11pt; }
  h2 { break-after: avoid; margin-top: 18px; }
  figure, table, li.flag, .card, .referral, .snaps { break-inside: avoid; }
  section { break-inside: auto; }
  a { color: inherit; text-decoration: none; }
  .strip { grid-template-columns: repeat(4, 1fr); }
}
"""

IMAGE_CHECK_JS = """
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.dataset.imageCount = String(imgs.length);
  document.body.dataset.imagesOk = String(ok);
  document.body.dataset.imagesLoaded = ok === imgs.length ? "all" : "missing";
});
"""
