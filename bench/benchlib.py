"""Shared by the benchmark scripts in bench/ and the driver bench/run (stdlib only).

The result protocol, so scripts in any language can join `bench/run`: a benchmark is an
executable file in bench/ (not `run`, not this module). It measures Trellis and its anchor in
the same run, prints progress to stderr, and, when the variable BENCH_RESULT_FILE is set, writes
there one JSON object:

    {"benchmark": "plugin-latency", "subject": "trellis", "anchor": "ptp + host-local",
     "rows": [{"metric": "ADD+DEL median", "unit": "ms", "subject": 3.1, "anchor": 24.0,
               "target": {"on": "ratio", "max": 0.3333}}, ...],
     "notes": ["..."]}

`anchor` of a row is null for a metric without one (an absolute target, or context such as the
harness's own floor). `target` is optional: `on` is "ratio" (subject / anchor) or "subject",
with `max` and/or `min`. Without BENCH_RESULT_FILE the script prints the same table itself.
A script exits 0, or 3 when it measured but a target was missed; any other status (or no
result) means it could not measure, and the driver reports it as failed.
"""

import json
import math
import os
import sys

RESULT_FILE_VARIABLE = "BENCH_RESULT_FILE"


def median(values):
    """The median of a non-empty list of numbers."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values, fraction):
    """The nearest-rank percentile (fraction 0.9 is p90) of a non-empty list of numbers."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ratio(row):
    """subject / anchor of a row, or None when it has no anchor or the anchor is zero."""
    if row.get("anchor") in (None, 0):
        return None
    return row["subject"] / row["anchor"]


def verdict(row):
    """"met", "MISSED" or "" (no target) for one row."""
    target = row.get("target")
    if not target:
        return ""
    value = ratio(row) if target.get("on") == "ratio" else row["subject"]
    if value is None:
        return "MISSED"
    if "max" in target and value > target["max"]:
        return "MISSED"
    if "min" in target and value < target["min"]:
        return "MISSED"
    return "met"


def describe_target(target):
    """A target as the table shows it, e.g. `ratio <= 0.33`."""
    if not target:
        return ""
    name = target.get("on", "subject")
    bounds = []
    if "min" in target:
        bounds.append(f"{name} >= {target['min']:.3g}")
    if "max" in target:
        bounds.append(f"{name} <= {target['max']:.3g}")
    return ", ".join(bounds)


def _number(value, unit):
    if value is None:
        return "-"
    return f"{value:.2f} {unit}".strip()


def table_lines(results, markdown=False):
    """The table of every row of every result, as lines of text (aligned, or Markdown)."""
    header = ["benchmark", "metric", "trellis", "anchor", "ratio", "target", "status"]
    body = []
    for result in results:
        for row in result["rows"]:
            share = ratio(row)
            body.append([result["benchmark"], row["metric"], _number(row["subject"], row.get("unit", "")),
                         _number(row.get("anchor"), row.get("unit", "")),
                         "-" if share is None else f"{share:.3f}",
                         describe_target(row.get("target")), verdict(row)])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return lines
    widths = [max(len(cells[i]) for cells in [header] + body) for i in range(len(header))]
    numeric = {2, 3, 4}

    def line(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(header), line(["-" * w for w in widths])] + [line(cells) for cells in body]


def anchors_line(results):
    """Which anchor each benchmark compared against."""
    return "; ".join(f"{r['benchmark']}: {r['subject']} vs {r['anchor']}" for r in results)


def missed(results):
    """True when any row of any result missed its target."""
    return any(verdict(row) == "MISSED" for result in results for row in result["rows"])


def emit(result):
    """Hands `result` to the driver (BENCH_RESULT_FILE), or prints it when run alone.
    Returns the exit status the script should end with: 0, or 3 when a target was missed."""
    path = os.environ.get(RESULT_FILE_VARIABLE)
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(result, file, indent=1)
    else:
        print(anchors_line([result]))
        for line in table_lines([result]):
            print(line)
        for note in result.get("notes", []):
            print(f"note: {note}")
    return 3 if missed([result]) else 0


def progress(message):
    """A progress line on stderr (stdout is the table's)."""
    print(message, file=sys.stderr, flush=True)
