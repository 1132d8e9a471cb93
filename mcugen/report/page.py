"""The report's HTML page: sections, tables and the few lines of style and script it carries.

Why a tiny builder and not a template engine's page: the page must hold everything inline and
escape every name that comes from a model file (tensor names are arbitrary strings); one place
that escapes is easier to trust. The Content-Security-Policy (``default-src 'none'``) makes the
browser refuse any fetch the page might attempt, so "no network" is enforced, not promised.
"""

from __future__ import annotations

from html import escape

from .. import __version__

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:")

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1c2833;
background:#f4f6f7}
header{background:#1c2833;color:#fff;padding:14px 28px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#d5d8dc;font-size:13px}
nav{padding:8px 28px;background:#fff;border-bottom:1px solid #d5d8dc;font-size:14px}
nav a{margin-right:16px;color:#2471a3;text-decoration:none}
main{padding:10px 28px 40px;max-width:1280px}
section{background:#fff;border:1px solid #d5d8dc;border-radius:6px;margin:16px 0;
padding:6px 18px 16px;overflow-x:auto}
h2{font-size:18px;margin:12px 0 10px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:3px 10px;border-bottom:1px solid #eaecee;text-align:left;vertical-align:top}
th{background:#eaf2f8;cursor:pointer;user-select:none;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr:hover td{background:#fef9e7}
tr.bad td{background:#fadbd8}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:3px 18px;font-size:14px}
dl.facts dt{color:#566573}
dl.facts dd{margin:0}
.verdict{font-size:20px;font-weight:bold;padding:12px 18px;border-radius:6px;margin:16px 0}
.verdict.ok{background:#d5f5e3;color:#145a32;border:2px solid #27ae60}
.verdict.bad{background:#c0392b;color:#fff;border:2px solid #922b21}
.note{color:#566573;font-size:13px}
p.data{font-size:14px}
.picture{overflow-x:auto}
code{background:#f2f3f4;padding:0 3px}
footer{font-size:12px;color:#566573;padding:0 28px 30px}
"""

# click a column header to sort its table (numbers as numbers); nothing else
SCRIPT = """
(function(){
  function key(cell){
    var t = cell.getAttribute('data-v');
    if (t === null) { t = cell.textContent; }
    var n = parseFloat(t.replace(/,/g, ''));
    return isNaN(n) ? t.toLowerCase() : n;
  }
  var heads = document.querySelectorAll('table.sortable th');
  for (var i = 0; i < heads.length; i++) {
    heads[i].addEventListener('click', function(ev){
      var th = ev.currentTarget, table = th.closest('table');
      var col = Array.prototype.indexOf.call(th.parentNode.children, th);
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute('data-up') !== '1';
      th.setAttribute('data-up', up ? '1' : '0');
      rows.sort(function(a, b){
        var x = key(a.cells[col]), y = key(b.cells[col]);
        return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
      });
      for (var r = 0; r < rows.length; r++) { body.appendChild(rows[r]); }
    });
  }
  document.body.setAttribute('data-ready', '1');
})();
"""


class Page:
    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = []
        self.nav: list[tuple[str, str]] = []

    def verdict(self, verify: dict) -> None:
        n = verify.get("n_inputs", 0)
        if verify.get("bit_exact"):
            text = (f"bit-exact: yes — all {n} inputs on {verify.get('board')} equal the "
                    "simulator's outputs, byte for byte")
            css = "ok"
        else:
            bad = len({m["input_index"] for m in verify.get("mismatches", [])})
            first = (verify.get("mismatches") or [{}])[0].get("first_layer")
            text = (f"bit-exact: NO — {bad} of {n} inputs differ from the simulator on "
                    f"{verify.get('board')}" + (f"; first diverging layer: {first}"
                                                if first else ""))
            css = "bad"
        self.parts.append(f'<div id="verdict" class="verdict {css}">{escape(text)}</div>')

    def facts(self, ident: str, title: str, facts: list[tuple[str, str]]) -> None:
        body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts)
        self.section(ident, title, f'<dl class="facts">{body}</dl>')

    def section(self, ident: str, title: str, body: str) -> None:
        self.nav.append((ident, title))
        self.parts.append(f'<section id="{ident}"><h2>{escape(title)}</h2>{body}</section>')

    @staticmethod
    def table(rows: list[dict], columns: list[tuple[str, str]], css: str = "",
              flag=None, tips: dict[str, str] | None = None) -> str:
        """Rows as an HTML table (sortable); ``tips``: column -> key of its hover text."""
        tips = tips or {}
        head = "".join(f"<th>{escape(title)}</th>" for _, title in columns)
        body = []
        for r in rows:
            cells = []
            for key, _ in columns:
                v = r.get(key)
                if isinstance(v, bool):
                    v = "yes" if v else "no"
                if isinstance(v, int):
                    cells.append(f'<td class="num" data-v="{v}">{v:,}</td>')
                elif isinstance(v, float):
                    cells.append(f'<td class="num" data-v="{v}">{v:.2f}</td>')
                elif key in tips and r.get(tips[key]):
                    cells.append(f'<td title="{escape(str(r[tips[key]]))}">'
                                 f"{escape('' if v is None else str(v))}</td>")
                else:
                    cells.append(f"<td>{escape('' if v is None else str(v))}</td>")
            bad = ' class="bad"' if flag is not None and flag(r) else ""
            body.append(f"<tr{bad}>{''.join(cells)}</tr>")
        return (f'<table class="sortable {css}"><thead><tr>{head}</tr></thead><tbody>'
                f'{"".join(body)}</tbody></table>')

    def files(self, names: list[str]) -> None:
        links = " · ".join(f'<a href="{escape(n)}">{escape(n)}</a>' for n in names)
        self.parts.append(f"<footer>CSV files beside this page: {links}. Written by mcugen "
                          f"{escape(__version__)}.</footer>")

    def render(self) -> str:
        nav = "".join(f'<a href="#{i}">{escape(t)}</a>' for i, t in self.nav)
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{escape(self.title)}</title><style>{STYLE}</style></head><body>"
                f"<header><h1>{escape(self.title)}</h1><p>mcugen report</p></header>"
                f"<nav>{nav}</nav><main>{''.join(self.parts)}</main>"
                f"<script>{SCRIPT}</script></body></html>\n")
