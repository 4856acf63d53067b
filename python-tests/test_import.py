"""`import cobre` needs nothing but NumPy; typing information ships with it."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import cobre

BLOCKED = ("pyarrow", "pandas", "polars")


def block(names=BLOCKED) -> str:
    """Code making `import <name>` fail (as if not installed) for `names`."""
    return "import sys\n" + "".join(f"sys.modules[{n!r}] = None\n" for n in names)


BLOCK = block()

def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True, timeout=120)


def test_import_cobre_works_with_pyarrow_pandas_and_polars_blocked():
    out = run(
        "import cobre\n"
        f"case = cobre.load_case({str(Path(__file__).parents[1] / 'examples' / 'tiny')!r})\n"
        "print(case.n_stages, sys.modules.get('pyarrow') is not None)\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "False"]


def test_without_pyarrow_the_arrow_views_say_what_to_install_and_polars_still_reads_them():
    out = run(
        "import cobre\n"
        f"case = cobre.load_case({str(Path(__file__).parents[1] / 'examples' / 'tiny')!r})\n"
        "r = cobre.train(case)\n"
        "try:\n"
        "    r.convergence_history\n"
        "except ImportError as e:\n"
        "    print('ImportError', 'pyarrow' in str(e))\n"
        "t = r.convergence_arrow\n"
        "print(t.num_rows, t.column_names[:2])\n"
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "ImportError True"
    assert lines[1] == "3 ['iteration', 'lower_bound']"


def test_polars_reads_the_arrow_stream_without_pyarrow():
    code = block(("pyarrow", "pandas")) + (
        "import cobre, polars as pl\n"
        f"case = cobre.load_case({str(Path(__file__).parents[1] / 'examples' / 'tiny')!r})\n"
        "df = pl.DataFrame(cobre.train(case).convergence_arrow)\n"
        "print(df.height, sys.modules.get('pyarrow') is not None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "False"]


def test_the_lp_solver_is_the_pinned_highs_and_patched_when_the_build_had_it():
    assert cobre.lp_solver.startswith("HiGHS 1.15.0 (")
    assert cobre.lp_solver.endswith(("(patched)", "(unpatched)"))
    # scripts/env.sh builds the wheel against the patched HiGHS and says so.
    if os.environ.get("COBRE_HIGHS_PATCHED") == "1":
        assert cobre.lp_solver.endswith("(patched)"), cobre.lp_solver


def test_the_package_ships_type_stubs_and_the_py_typed_marker():
    pkg = Path(cobre.__file__).parent
    assert (pkg / "py.typed").exists()
    assert (pkg / "__init__.pyi").exists()
    assert (pkg / "errors.py").exists()


def test_every_public_class_and_function_has_a_docstring():
    missing = []
    for name in cobre.__all__:
        obj = getattr(cobre, name)
        if name.startswith("__") or isinstance(obj, str):
            continue
        if not (inspect.getdoc(obj) or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not (callable(member) or inspect.isdatadescriptor(member)
                                                or inspect.isgetsetdescriptor(member)):
                    continue
                if not (getattr(member, "__doc__", None) or "").strip():
                    missing.append(f"{name}.{attr}")
    assert not missing, missing


def test_stubs_name_every_public_symbol():
    stub = (Path(cobre.__file__).parent / "__init__.pyi").read_text()
    for name in cobre.__all__:
        if name in {"__version__", "errors"}:
            continue
        assert name in stub, name


def test_thread_count_setting_round_trips():
    old = cobre.get_threads()
    try:
        assert cobre.set_threads(3) == 3
        assert cobre.get_threads() == 3
        assert cobre.set_threads(0) >= 1
    finally:
        cobre.set_threads(old)


def test_runtime_types_agree_with_the_stubs():
    import pathlib

    case = cobre.load_case(Path(__file__).parents[1] / "examples" / "tiny")
    assert isinstance(case.path, pathlib.Path)
    stub = (Path(cobre.__file__).parent / "__init__.pyi").read_text()
    assert "def path(self) -> pathlib.Path" in stub
    r = cobre.train(case)
    assert r.workers is None and "workers: list[WorkerInfo] | None" in stub
    s = cobre.simulate(case, r.policy)
    assert s.output_directory is None and s.output_files == [] and s.in_memory is True
    assert "in_memory: bool" in stub


def test_reprs_read_as_python_without_rust_option_wrappers():
    case = cobre.load_case(Path(__file__).parents[1] / "examples" / "tiny")
    texts = [repr(case)] + [repr(x) for x in case.hydros + case.thermals + case.buses + case.stages]
    texts.append(repr(cobre.train(case)))
    for t in texts:
        assert "Some(" not in t and "None)" not in t.replace("=None)", ""), t
    assert repr(case).startswith("Case(path='")
