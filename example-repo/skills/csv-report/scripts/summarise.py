"""Summarise a CSV file: row count, per-column totals, outliers (standard library only)."""

import csv
import statistics
import sys


def main(path: str) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    print(f"rows: {len(rows)}")
    for column in rows[0] if rows else []:
        try:
            values = [float(row[column]) for row in rows if row[column] != ""]
        except ValueError:
            continue  # not a numeric column
        if not values:
            continue
        mean = statistics.fmean(values)
        spread = statistics.pstdev(values)
        print(f"{column}: total {sum(values):g}, mean {mean:g}, min {min(values):g}, max {max(values):g}")
        for number, value in enumerate(values, start=1):
            if spread and abs(value - mean) > 3 * spread:
                print(f"  outlier in row {number}: {value:g}")


if __name__ == "__main__":
    main(sys.argv[1])
