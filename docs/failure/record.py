"""Print the JSON report's record of the failing item of dense.yaml, as `--gradcheck-report` writes it
(the documentation's "CI, xdist, reports and pictures" page shows it). Its `seconds` differ from run
to run, so they are left out, and its errors are rounded to three digits."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as folder:
    report = Path(folder) / "report.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "docs/failure/dense.yaml"]
    subprocess.run([*command, f"--gradcheck-report={report}"], check=False, capture_output=True)
    (record,) = json.loads(report.read_text(encoding="utf-8"))["records"]
del record["seconds"]
for key in ("max_abs_error", "max_rel_error", "step"):
    record[key] = float(f"{record[key]:.3g}")
print(json.dumps(record, indent=1))
