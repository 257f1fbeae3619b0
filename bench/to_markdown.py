"""Turns memento-bench's JSON lines (stdin) into the Markdown table used in BENCHMARKS.md.

    .build/release/memento-bench all --json | python3 bench/to_markdown.py
"""
import json
import sys


def fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


print("| suite | case | unit | better | Memento | peer | ratio (Memento / peer) | peer |")
print("|---|---|---|---|---:|---:|---:|---|")
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    peer = r.get("peer_name") or f"({r.get('reason', 'no peer')})"
    print(f"| {r['suite']} | `{r['case']}` | {r['unit']} | {r['better']} | {fmt(r['memento'])} | {fmt(r['peer'])} | {fmt(r['ratio'])} | {peer} |")
    # Further figures of the same samples (e.g. the episodes a training run needed), as
    # medians on rows of their own, named as the unit.
    for name, f in (r.get("figures") or {}).items():
        print(f"| {r['suite']} | `{r['case']}` | {name} (median) | {r['better']} | {fmt(f['memento'])} | {fmt(f['peer'])} | {fmt(f['ratio'])} | {peer} |")
