#!/usr/bin/env python3
"""Renders the rows.jsonl of scripts/accuracy-study.sh as the Markdown tables of docs/accuracy.md."""
import argparse
import json

TITLES = {
    "baseline": "Unquantized",
    "components": "Each component alone (RTN, group 32; int8 per channel)",
    "configs": "Whole-model configurations (RTN)",
    "algorithms": "Rounding algorithms at equal size (group 32, symmetric)",
    "images": "Calibration with the images vs with blank images (text only)",
    "counts": "Calibration sample count",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows")
    ap.add_argument("--command", default="")
    ap.add_argument("--seconds", type=int, default=0)
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.rows) if line.strip()]
    base = next((r for r in rows if r["section"] == "baseline"), rows[0])
    families = sorted(base["per_type"].keys())
    out = []
    if a.command:
        out.append(f"Command: `{a.command}` ({len(rows)} rows, {a.seconds} s); {base['samples']} test questions.\n")
    head = ["row", "VQA"] + families + ["KLD", "top-1", "agreement", "bytes"]
    for section in TITLES:
        sec = [r for r in rows if r["section"] == section]
        if not sec:
            continue
        out.append(f"\n### {TITLES[section]}\n")
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
        for r in sec:
            cells = [r["label"], f"{r['vqa']:.1f}" if r["vqa"] is not None else "-"]
            cells += [f"{r['per_type'].get(f, float('nan')):.1f}" for f in families]
            cells += [f"{r['kld']:.5f}", f"{r['top1']:.3f}", f"{r['agreement']:.3f}", f"{r['bytes']:,}"]
            out.append("| " + " | ".join(cells) + " |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
