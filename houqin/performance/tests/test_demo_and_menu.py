"""The demo gets the default weights; the sidebar shows performance to those who may see it."""

from django.test import RequestFactory

from houqin.core.navigation import menu_for
from houqin.org.demo import demo_seeded
from houqin.performance import demo
from houqin.performance.models import ScoreWeights


def test_seeding_the_demo_creates_the_default_weights_once(db):
    assert any(receiver[0][0] == "performance.demo" for receiver in demo_seeded.receivers)
    demo.on_demo_seeded(sender=None, created=True, force=False, scale=1, seed=1, today=None)
    demo.on_demo_seeded(sender=None, created=False, force=False, scale=1, seed=1, today=None)
    assert ScoreWeights.objects.count() == 1


def _entries(user) -> dict:
    request = RequestFactory().get("/performance/")
    request.user = user
    return {str(item["label"]): section["section"] for section in menu_for(request) for item in section["items"]}


def test_the_sidebar_lists_performance_under_insight_for_those_who_may_see_it(cast):
    from django.utils import translation

    with translation.override("en"):
        director = _entries(cast.director)
        worker = _entries(cast.worker)
    assert director["Performance"] == "Insight"
    assert director["Score weights"] == "Insight"
    assert "Performance" not in worker
