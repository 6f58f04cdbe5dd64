#!/usr/bin/env python3
"""Compare the Python example app's templates with the TypeScript example app's templates.

Both apps (examples/app.ts and examples/python/app.py) build the same stacks with the same construct
ids and props, so their CloudFormation templates must be equal. Before comparing, this removes only
what is legitimately language-specific:

- the AWS::CDK::Metadata resource and its CDKMetadataAvailable condition (they record the language);
- the aws:cdk:path and aws:asset:* entries of each resource's Metadata (the construct path and the
  asset's local file; removed Metadata that ends up empty is dropped);
- asset hashes (64 hexadecimal digits, e.g. in an asset's S3 key), replaced by a placeholder.

Everything else, including every logical id, property, dependency and output, must be equal; any
difference is printed as one line per JSON path and the exit code is 1.

Usage, from the repository root:

    python3 test/python/compare_templates.py --ts-out cdk.out --py-out cdk.out.python

Without --ts-out it first runs `npx projen synth:example` (which writes cdk.out/); without --py-out it
synthesizes examples/python/app.py with this interpreter (or --python) into a temporary directory.
Always freshly synthesized outputs, never stored copies.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, List, Tuple

REPO = Path(__file__).resolve().parents[2]
ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
MAX_DIFFERENCES_SHOWN = 60


def normalize(template: Any) -> Any:
    """Return a copy of a template without the language-specific parts (see the module docstring)."""
    template = json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template)))
    resources = template.get("Resources", {})
    for logical_id in [k for k, r in resources.items() if r.get("Type") == "AWS::CDK::Metadata"]:
        del resources[logical_id]
    conditions = template.get("Conditions", {})
    conditions.pop("CDKMetadataAvailable", None)
    if "Conditions" in template and not conditions:
        del template["Conditions"]
    for resource in resources.values():
        metadata = resource.get("Metadata")
        if not isinstance(metadata, dict):
            continue
        for key in [k for k in metadata if k == "aws:cdk:path" or k.startswith("aws:asset:")]:
            del metadata[key]
        if not metadata:
            del resource["Metadata"]
    return template


def differences(ts: Any, py: Any, path: str = "") -> Iterator[str]:
    """Yield one readable line per JSON path where the two values differ."""
    if isinstance(ts, dict) and isinstance(py, dict):
        for key in sorted(set(ts) | set(py)):
            where = f"{path}/{key}"
            if key not in py:
                yield f"{where}: only in TypeScript: {brief(ts[key])}"
            elif key not in ts:
                yield f"{where}: only in Python: {brief(py[key])}"
            else:
                yield from differences(ts[key], py[key], where)
    elif isinstance(ts, list) and isinstance(py, list) and len(ts) == len(py):
        for i, (a, b) in enumerate(zip(ts, py)):
            yield from differences(a, b, f"{path}[{i}]")
    elif ts != py:
        yield f"{path or '/'}: TypeScript {brief(ts)} != Python {brief(py)}"


def brief(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def templates(out_dir: Path) -> dict:
    return {p.name[: -len(".template.json")]: p for p in sorted(out_dir.glob("*.template.json"))}


def compare(ts_out: Path, py_out: Path) -> Tuple[List[str], List[str]]:
    """Compare every stack; return (summary lines, difference lines)."""
    ts_stacks, py_stacks = templates(ts_out), templates(py_out)
    problems: List[str] = []
    summary: List[str] = []
    if not ts_stacks:
        problems.append(f"no *.template.json in {ts_out}: the TypeScript app synthesized nothing")
    for name in sorted(set(ts_stacks) - set(py_stacks)):
        problems.append(f"stack {name}: synthesized by the TypeScript app only")
    for name in sorted(set(py_stacks) - set(ts_stacks)):
        problems.append(f"stack {name}: synthesized by the Python app only")
    for name in sorted(set(ts_stacks) & set(py_stacks)):
        ts = normalize(json.loads(ts_stacks[name].read_text()))
        py = normalize(json.loads(py_stacks[name].read_text()))
        found = list(differences(ts, py))
        count = len(ts.get("Resources", {}))
        if count == 0:
            found.append("/Resources: the stack has no resources, nothing was compared")
        summary.append(f"{name}: {count} resources, {'equal' if not found else f'{len(found)} differences'}")
        problems.extend(f"stack {name}: {line}" for line in found)
    return summary, problems


def synth_typescript() -> Path:
    subprocess.run(["npx", "projen", "synth:example"], cwd=REPO, check=True)
    return REPO / "cdk.out"


def synth_python(python: str) -> Path:
    out = Path(tempfile.mkdtemp(prefix="cdk-python-"))
    app = f'"{python}" examples/python/app.py'
    subprocess.run(["npx", "cdk", "synth", "--app", app, "--output", str(out), "--quiet"], cwd=REPO, check=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ts-out", type=Path, help="cloud assembly of examples/app.ts (default: synthesize it)")
    parser.add_argument("--py-out", type=Path, help="cloud assembly of examples/python/app.py (default: synthesize it)")
    parser.add_argument("--python", default=sys.executable, help="interpreter that has cdk-ecs-workloads installed")
    args = parser.parse_args()

    ts_out = args.ts_out or synth_typescript()
    py_out = args.py_out or synth_python(os.path.abspath(args.python))
    summary, problems = compare(ts_out, py_out)
    for line in summary:
        print(line)
    if problems:
        print(f"\nThe Python app's templates differ from the TypeScript app's ({len(problems)} differences):")
        for line in problems[:MAX_DIFFERENCES_SHOWN]:
            print(f"  {line}")
        if len(problems) > MAX_DIFFERENCES_SHOWN:
            print(f"  ... and {len(problems) - MAX_DIFFERENCES_SHOWN} more")
        return 1
    print(f"\n{len(summary)} stacks: the Python and TypeScript templates are equal.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
