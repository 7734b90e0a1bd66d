import re
import shutil
from pathlib import Path

import pytest

from explorer.tours import LANGUAGES, TourError, load_tour, load_tours
from explorer.tours.loader import CONTENT_DIR

CJK = re.compile(r"[\u4e00-\u9fff]")
REQUIRED_TOURS = {"control-plane", "worker-node", "storage-and-infrastructure", "life-of-a-pod", "node-failure"}


def test_the_built_in_tours_load():
    tours = load_tours()
    assert set(tours) >= {"control-plane"}
    assert list(tours) == sorted(tours, key=lambda slug: (tours[slug].order, slug))


@pytest.mark.skipif(
    not {p.name for p in CONTENT_DIR.iterdir()} >= REQUIRED_TOURS, reason="content for every tour not present"
)
def test_every_required_tour_is_there():
    assert set(load_tours()) >= REQUIRED_TOURS


@pytest.mark.parametrize("slug", sorted(load_tours()))
def test_every_step_is_written_in_both_languages(slug):
    tour = load_tours()[slug]
    assert CJK.search(tour.title("zh-hans")), "the Chinese title is not Chinese"
    for step in tour.steps:
        english, chinese = step.text("en"), step.text("zh-hans")
        assert english.keys() == chinese.keys(), f"{slug}/{step.key}: the languages have different fields"
        for field in english:
            assert CJK.search(chinese[field]), f"{slug}/{step.key}.{field} is not translated"
            assert not CJK.search(english[field]), f"{slug}/{step.key}.{field} in English has Chinese in it"


@pytest.fixture
def tour_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "control-plane"
    shutil.copytree(CONTENT_DIR / "control-plane", folder)
    return folder


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_broken_yaml_is_rejected_with_file_and_line(tour_copy):
    replace(tour_copy / "en.yaml", "steps:\n", "steps:\n  - [unclosed\n")
    with pytest.raises(TourError, match=r"en\.yaml, line \d+: not valid YAML"):
        load_tour(tour_copy)


def test_a_step_missing_in_one_language_is_named(tour_copy):
    text = (tour_copy / "zh-hans.yaml").read_text(encoding="utf-8")
    cut = text.index("  etcd:")
    end = text.index("  scheduler:")
    (tour_copy / "zh-hans.yaml").write_text(text[:cut] + text[end:], encoding="utf-8")
    with pytest.raises(TourError, match=r"zh-hans\.yaml, line \d+: no text for steps: etcd"):
        load_tour(tour_copy)


def test_an_unknown_highlight_is_rejected_with_its_line(tour_copy):
    replace(tour_copy / "tour.yaml", '"kind:etcd"', '"not a selector!"')
    with pytest.raises(TourError, match=r"tour\.yaml, line 6: step 'etcd' highlight: 'not a selector!'"):
        load_tour(tour_copy)


def test_a_step_without_its_explanation_is_rejected(tour_copy):
    replace(tour_copy / "en.yaml", "    what: >-\n      etcd is", "    why: >-\n      etcd is")
    with pytest.raises(TourError, match=r"en\.yaml, line \d+: step 'etcd': unknown keys why"):
        load_tour(tour_copy)


def test_a_missing_language_file_is_named(tour_copy):
    (tour_copy / "zh-hans.yaml").unlink()
    with pytest.raises(TourError, match=r"zh-hans\.yaml: missing"):
        load_tour(tour_copy)


def test_every_language_has_a_file_per_tour():
    for folder in CONTENT_DIR.iterdir():
        if (folder / "tour.yaml").exists():
            assert {f"{language}.yaml" for language in LANGUAGES} <= {p.name for p in folder.iterdir()}


def test_a_try_it_whose_already_condition_is_malformed_is_rejected(tmp_path):
    folder = tmp_path / "node-failure"
    shutil.copytree(CONTENT_DIR / "node-failure", folder)
    replace(folder / "tour.yaml", "already: {component: node/worker-1, status: NotReady}", "already: NotReady")
    with pytest.raises(TourError, match=r"tour\.yaml, line \d+: step '[\w-]+': 'already' names a 'component' id"):
        load_tour(folder)
