"""The benchmark's figures: medians and ranges of the measured values, the table printed while
the benchmark runs, the machine-readable results, and the goals of issue 9 checked against them."""

import statistics

SERIES = ("xolstub", "gdbserver", "uprobe")


def summary(values):
    return {"values": values, "median": statistics.median(values), "min": min(values), "max": max(values)}


def shown(summary_of, unit, baseline=None):
    """'median (min..max) UNIT' for the table; as a share of BASELINE (its median) in %."""
    scale, unit = (100.0 / baseline, "%") if baseline else (1.0, unit)

    def number(value):
        value *= scale
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"

    return f"{number(summary_of['median'])} ({number(summary_of['min'])}..{number(summary_of['max'])}) {unit}"


def print_case_header(case):
    print(f"\n== case {case.number}: {case.title}", flush=True)
    print(f"{'variant':<34} {'metric':<22} {'xolstub':>28} {'gdbserver':>28} {'xolstub/gdbserver':>18}", flush=True)


def print_row(case, row, values):
    for metric in case.metrics:
        if metric.name not in values.get("xolstub", {}):
            continue
        figures = {series: summary(values[series][metric.name]) for series in values if metric.name in values[series]}
        baseline = figures["undebugged"]["median"] if metric.relative_to else None
        ratio = figures["xolstub"]["median"] / figures["gdbserver"]["median"]
        line = (f"{row.label:<34} {metric.name + ' (' + metric.unit + ')':<22} "
                f"{shown(figures['xolstub'], metric.unit, baseline):>28} {shown(figures['gdbserver'], metric.unit, baseline):>28} "
                f"{ratio:>17.2f}x")
        if "uprobe" in figures:
            line += f"   kernel uprobe {shown(figures['uprobe'], metric.unit, baseline)}"
        if baseline:
            line += f"   undebugged {shown(figures['undebugged'], 'counts/s')}"
        print(line, flush=True)


class CaseResults:
    """One case's measured rows, as the goals read them."""

    def __init__(self, rows):
        self.rows = rows

    def _row(self, x):
        if x is None:
            return self.rows[0]
        return next(row for row in self.rows if row["x"] == x)

    def median(self, metric, series, x=None):
        return self._row(x)["metrics"][metric]["series"][series]["median"]

    def ratio(self, metric, x=None):
        """median xolstub / median gdbserver."""
        return self._row(x)["metrics"][metric]["ratio"]

    def share(self, metric, series, x=None):
        """SERIES' median as a % of the undebugged median."""
        return self.median(metric, series, x) / self.median(metric, "undebugged", x) * 100


def case_results(case, measured):
    rows = []
    for row, values in measured:
        metrics = {}
        for metric in case.metrics:
            if metric.name not in values.get("xolstub", {}):
                continue
            series = {name: summary(values[name][metric.name]) for name in values if metric.name in values[name]}
            metrics[metric.name] = {"unit": metric.unit, "higher_is_better": metric.higher_is_better,
                                    "relative_to": metric.relative_to, "series": series,
                                    "ratio": series["xolstub"]["median"] / series["gdbserver"]["median"]}
        rows.append({"label": row.label, "x": row.x, "metrics": metrics})
    view = CaseResults(rows)
    goals = [{"goal": text, "met": bool(check(view))} for text, check in case.goals]
    return {"number": case.number, "title": case.title, "rows": rows, "goals": goals}


def print_goals(results):
    print("\n== goals (issue 9)")
    for case in results["cases"]:
        for goal in case["goals"]:
            print(f"case {case['number']}: {goal['goal']}: {'met' if goal['met'] else 'NOT MET'}")
