"""What a project declares to the library: derived features by registration, candidate
estimators by entry point; a clear error when a project declares none."""

from __future__ import annotations

import pandas as pd
import pytest

from tabular_mlops import project
from tabular_mlops.features.derived import (
    add_derived_features,
    applicable_derived_features,
    register,
    unregister,
)


@pytest.fixture
def no_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project, "declared", lambda name: ())


@pytest.mark.usefixtures("no_project")
def test_without_a_project_no_estimator_is_declared_and_the_error_says_where() -> None:
    with pytest.raises(project.ProjectDeclarationError, match=r"modeling\.estimators:ESTIMATORS"):
        project.declared_estimators()


@pytest.mark.usefixtures("no_project")
def test_a_registered_feature_is_computed_and_offered_only_with_its_columns() -> None:
    register("area", requires=("width", "height"))(lambda f: f["width"] * f["height"])
    try:
        frame = pd.DataFrame({"width": [2.0, 3.0], "height": [5.0, 7.0]})
        assert add_derived_features(frame, ["area"])["area"].tolist() == [10.0, 21.0]
        assert "area" in applicable_derived_features(["width", "height"])
        assert "area" not in applicable_derived_features(["width"])
        with pytest.raises(ValueError, match="already registered"):
            register("area", requires=("width",))(lambda f: f["width"])
    finally:
        unregister("area")
    with pytest.raises(KeyError, match="unknown derived feature"):
        add_derived_features(frame, ["area"])


def test_an_estimator_is_declared_by_its_class_or_its_import_path() -> None:
    from sklearn.linear_model import Ridge

    from tabular_mlops.modeling.pipeline import estimator_class

    assert estimator_class("sklearn.linear_model.Ridge") is Ridge
    assert estimator_class(Ridge) is Ridge
    with pytest.raises(project.ProjectDeclarationError, match="cannot be imported"):
        estimator_class("sklearn.linear_model.Rigde")


def test_the_project_package_is_read_from_its_declarations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib.metadata import EntryPoint, EntryPoints

    points = EntryPoints(
        [EntryPoint("estimators", "my_project.modeling.estimators:ESTIMATORS", project.GROUP)]
    )
    monkeypatch.setattr(project, "entry_points", lambda group: points)
    assert project.project_package() == "my_project"
    monkeypatch.setattr(project, "entry_points", lambda group: EntryPoints([]))
    with pytest.raises(project.ProjectDeclarationError, match="no project is installed"):
        project.project_package()
