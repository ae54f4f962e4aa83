"""The recipe is the only thing a request sends to the sandboxed worker: hostile, malformed and
out-of-order values are refused before anything runs, and the form maps plain numbers onto it."""

import json
import math

import pytest

from jiandu.redaction.forms import RecipeForm
from jiandu.redaction.recipe import RecipeError, clock, parse


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "image",
        {},
        {"kind": "exe"},
        {"kind": "image", "format": "svg"},
        {"kind": "video", "format": "gif"},
        {"kind": "image", "unknown": 1},
        {"kind": "image", "faces": "yes"},
        {"kind": "image", "keep": [-1]},
        {"kind": "image", "keep": [True]},
        {"kind": "image", "keep": list(range(1000))},
        {"kind": "image", "boxes": [{"x": 0.5, "y": 0.5, "w": 0.6, "h": 0.1}]},  # off the frame
        {"kind": "image", "boxes": [{"x": -0.1, "y": 0, "w": 0.1, "h": 0.1}]},
        {"kind": "image", "boxes": [{"x": 0, "y": 0, "w": 0, "h": 0.1}]},
        {"kind": "image", "boxes": [{"x": math.nan, "y": 0, "w": 0.1, "h": 0.1}]},
        {"kind": "image", "boxes": [{"x": "1e999", "y": 0, "w": 0.1, "h": 0.1}]},
        {"kind": "image", "boxes": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1, "cmd": "rm"}]},
        {"kind": "video", "boxes": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1, "start": 5, "end": 2}]},
        {"kind": "image", "boxes": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1}] * 65},
        {"kind": "image", "crop": [0, 0, 0.001, 0.5]},
        {"kind": "image", "crop": [0.5, 0, 0.6, 0.5]},
        {"kind": "image", "crop": [0, 0, 1]},
        {"kind": "image", "edge": 123},
        {"kind": "image", "edge": "-i /etc/passwd"},
        {"kind": "video", "ranges": [[10, 5]]},
        {"kind": "video", "ranges": [[0, 10], [5, 20]]},  # overlapping, out of order
        {"kind": "video", "ranges": [[0, 1e9]]},
        {"kind": "video", "ranges": [[0, 1, 2]]},
        {"kind": "video", "audio": "-af volume=0"},
        {"kind": "pdf", "terms": ["x" * 101]},
        {"kind": "pdf", "terms": ["a\x00b"]},
        {"kind": "pdf", "terms": [""]},
        {"kind": "pdf", "terms": [1]},
        {"kind": "pdf", "boxes": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1, "page": 99999}]},
    ],
)
def test_hostile_recipes_are_refused(data):
    with pytest.raises(RecipeError):
        parse(data)


def test_a_good_recipe_round_trips_through_json():
    data = {
        "kind": "video",
        "ranges": [[1, 2.5], [10, 12]],
        "audio": "disguise",
        "keep": [2, 0, 2],
        "boxes": [{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4, "start": 1, "end": 2, "on": False}],
        "stills": [3, 1, 3],
    }
    recipe = parse(data)
    assert recipe.keep == (0, 2) and recipe.stills == (1.0, 3.0)
    assert parse(json.loads(json.dumps(recipe.as_dict()))) == recipe


def test_clock():
    assert clock(750.9) == "00:12:30" and clock(3 * 3600 + 61) == "03:01:01"


def test_the_form_turns_plain_numbers_into_a_recipe():
    form = RecipeForm(
        {
            "faces": "on",
            "effect": "pixelate",
            "keep": "2",
            "boxes": "10 20 30 40 00:00:01 00:00:03\n",
            "ranges": "00:12:30-00:13:06, 00:20:00-00:20:10",
            "audio": "mute",
            "edge": "640",
        },
        kind="video",
    )
    assert form.is_valid(), form.errors
    recipe = form.cleaned_data["recipe"]
    assert recipe.keep == (1,) and recipe.ranges == ((750.0, 786.0), (1200.0, 1210.0))
    box = recipe.boxes[0]
    assert (box.x, box.y, box.w, box.h, box.start, box.end) == (0.1, 0.2, 0.3, 0.4, 1.0, 3.0)


@pytest.mark.parametrize(
    "fields",
    [
        {"boxes": "10 20 thirty 40"},
        {"boxes": "10 20"},
        {"ranges": "00:00:05"},
        {"ranges": "5-2"},
        {"keep": "one"},
        {"crop": "0 0 200 10", "kind": "image"},
        {"ranges": "1:2:3:4-5"},
        {"format": "gif"},
        {"format": "webm", "kind": "image"},
    ],
)
def test_the_form_refuses_what_it_cannot_read(fields):
    kind = fields.pop("kind", "video")
    form = RecipeForm({"effect": "blur", "audio": "keep", **fields}, kind=kind)
    assert not form.is_valid()


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "video", "ranges": [[750, 786], [1200.5, 1210.25]], "keep": [1, 4],
         "boxes": [{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4, "start": 1.5, "end": 3},
                   {"x": 0.05, "y": 0.05, "w": 0.125, "h": 0.1}],
         "stills": [2.5, 61], "audio": "mute", "format": "webm", "edge": 640, "effect": "pixelate"},
        {"kind": "image", "crop": [0.1, 0.1, 0.5, 0.333], "faces": False, "format": "png"},
        {"kind": "pdf", "boxes": [{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.05, "page": 2}],
         "terms": ["Lei Zhengfu", "138-0000-0000"]},
    ],
)  # fmt: skip
def test_the_form_starts_again_from_the_last_recipe(data):
    """ "Change and render again" must give back the same recipe when nothing is changed: the
    clip decides which faces there are, and the numbers the page listed refer to it."""
    from jiandu.redaction.forms import initial_from

    recipe = parse(data)
    initial = {k: v for k, v in initial_from(recipe).items() if v not in (None, "")}
    fields = {k: ("on" if v is True else v) for k, v in initial.items() if v is not False}
    form = RecipeForm(fields, kind=recipe.kind)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["recipe"] == recipe
