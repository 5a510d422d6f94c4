"""safe_yaml reads what yaml.safe_load reads, refuses what it refuses, and says where."""

from __future__ import annotations

import pytest
import yaml

from tabular_mlops import safe_yaml

DOCUMENT = """\
seed: 42  # a comment
data:
  source: palmerpenguins
  features: {numeric: [a, b], categorical: []}
  ratio: 1.5e-3
  missing: null
  flag: yes
  when: 2024-01-31
  text: "quoted: value"
"""


def test_it_reads_the_same_values_as_yaml_safe_load() -> None:
    assert safe_yaml.safe_load(DOCUMENT) == yaml.safe_load(DOCUMENT)


def test_it_uses_the_c_parser_where_pyyaml_has_it() -> None:
    # PyYAML's wheels ship libyaml, so this runs wherever the lock installs them; a PyYAML
    # built from source without libyaml's headers has no C loader, and the fallback (the
    # Python parser) is then what safe_yaml rightly uses, so there is nothing to check.
    if not yaml.__with_libyaml__:
        pytest.skip("this PyYAML was built without libyaml: the Python parser is used")
    assert safe_yaml._LOADER is yaml.CSafeLoader


def test_a_syntax_error_names_its_line_and_column() -> None:
    with pytest.raises(yaml.YAMLError) as raised:
        safe_yaml.safe_load("data:\n  source: [unclosed\nseed: 1\n")
    mark = raised.value.problem_mark  # type: ignore[attr-defined]
    assert (mark.line, mark.column) == (2, 4)


def test_a_python_object_tag_is_refused() -> None:
    with pytest.raises(yaml.YAMLError, match="python/object"):
        safe_yaml.safe_load("!!python/object/apply:os.system ['true']\n")
