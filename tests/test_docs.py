"""docs/api_coverage.md must tell the truth about the package."""
import importlib
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROW = re.compile(r'^\| `([\w.]+)` \| `(\w+)` \| (implemented|not yet|not planned) \|')


def coverage_rows():
    with open(os.path.join(ROOT, 'docs', 'api_coverage.md')) as f:
        return [m.groups() for m in map(ROW.match, f) if m]


def test_table_is_not_empty():
    assert len(coverage_rows()) > 100


@pytest.mark.parametrize('module,name,status', coverage_rows())
def test_status_matches_the_package(module, name, status):
    exists = hasattr(importlib.import_module(module), name)
    assert exists == (status == 'implemented'), '{}.{} is listed as {}'.format(
        module, name, status)


def test_readme_commands_are_what_ci_runs():
    with open(os.path.join(ROOT, 'README.md')) as f:
        readme = f.read()
    with open(os.path.join(ROOT, '.ci', 'run')) as f:
        ci = f.read()
    assert '    make test\n' in readme and '    make demo\n' in readme
    assert ci.strip().splitlines()[-1] == 'make test'
