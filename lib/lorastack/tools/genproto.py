"""Regenerate the protobuf and gRPC code in lib/ttn and lib/tti from proto/.

Run as ``python -m lorastack.tools.genproto``; ``--check`` compares instead of
writing and exits non-zero when the committed code is stale.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[3]
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "lib"
PACKAGES = ("ttn", "tti")


def _proto_files() -> list[str]:
    return sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))


def _include_dirs() -> list[str]:
    from google.api import annotations_pb2

    googleapis = Path(annotations_pb2.__file__).resolve().parents[2]
    wellknown = Path(grpc_tools.__file__).resolve().parent / "_proto"
    return [str(PROTO_DIR), str(googleapis), str(wellknown)]


def generate(out: Path) -> None:
    """Run protoc on every file under proto/ into ``out``."""
    args = ["protoc", *(f"-I{d}" for d in _include_dirs())]
    args += [f"--python_out={out}", f"--grpc_python_out={out}"]
    bindir = Path(sys.executable).parent
    args += [f"--plugin=protoc-gen-mypy={bindir / 'protoc-gen-mypy'}", f"--mypy_out={out}"]
    args += [f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}", f"--mypy_grpc_out={out}"]
    args += _proto_files()
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for pkg in PACKAGES:
        base = out / pkg
        if not base.exists():
            continue
        for directory in [base, *(p for p in base.rglob("*") if p.is_dir())]:
            (directory / "__init__.py").touch()
            (directory / "py.typed").touch()


def _generated_files(base: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in (base / pkg).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files[str(path.relative_to(base))] = path
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when lib/ttn or lib/tti is stale")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        new = _generated_files(fresh)
        old = _generated_files(OUT_DIR)
        if opts.check:
            stale = sorted(
                name
                for name in new.keys() | old.keys()
                if name not in new or name not in old or not filecmp.cmp(new[name], old[name], shallow=False)
            )
            if stale:
                print("stale generated code, run python -m lorastack.tools.genproto:", *stale, sep="\n  ")
                return 1
            return 0
        for pkg in PACKAGES:
            shutil.rmtree(OUT_DIR / pkg, ignore_errors=True)
            if (fresh / pkg).exists():
                shutil.copytree(fresh / pkg, OUT_DIR / pkg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
