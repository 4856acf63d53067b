"""Writes a reduced copy of a case folder: its first N study stages, and
optionally one opening per stage and config.json keys set to JSON values.

    python scripts/reduce_case.py SRC DST N [--openings K] [key.path=JSON ...]

Every Parquet table under scenarios/ and constraints/ with a `stage_id`
column keeps the rows of stages below N (pre-study stages, with negative
ids, stay); system/ tables are per plant and are copied as they are; the
stage-keyed lists of scenarios/*.json are filtered the same way, and
policy-graph transitions between kept stages are kept. Used by
scripts/compare_reduced_newave.sh; needs pyarrow.
"""
import json
import shutil
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq


def main(argv):
    args = list(argv)
    openings = None
    if "--openings" in args:
        i = args.index("--openings")
        openings = int(args[i + 1])
        del args[i : i + 2]
    src, dst, n, *sets = args
    n = int(n)
    src, dst = Path(src), Path(dst)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)

    stages = json.loads((dst / "stages.json").read_text())
    stages["stages"] = [s for s in stages["stages"] if s["id"] < n]
    if openings is not None:
        for s in stages["stages"]:
            s["num_openings"] = openings
    graph = stages.get("policy_graph", {})
    if "transitions" in graph:
        graph["transitions"] = [
            t for t in graph["transitions"] if t["source_id"] < n and t["target_id"] < n
        ]
    (dst / "stages.json").write_text(json.dumps(stages, indent=1))

    for sub in ("scenarios", "constraints"):
        for f in sorted((dst / sub).glob("*.parquet")) if (dst / sub).is_dir() else []:
            table = pq.read_table(f)
            if "stage_id" in table.schema.names:
                table = table.filter(pc.less(table["stage_id"], n))
                pq.write_table(table, f, compression="zstd")
        for f in sorted((dst / sub).glob("*.json")) if (dst / sub).is_dir() else []:
            doc = json.loads(f.read_text())
            for key, value in doc.items():
                if isinstance(value, list):
                    doc[key] = [
                        e for e in value if not isinstance(e, dict) or e.get("stage_id", -1) < n
                    ]
            f.write_text(json.dumps(doc, indent=1))

    config = json.loads((dst / "config.json").read_text())
    for assignment in sets:
        path, value = assignment.split("=", 1)
        keys = path.split(".")
        node = config
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        if value == "DELETE":
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = json.loads(value)
    (dst / "config.json").write_text(json.dumps(config, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
