import gc
import importlib

from auditreg import runtime


def test_the_served_app_tunes_the_garbage_collector(monkeypatch):
    calls = []
    monkeypatch.setattr(runtime, "tune_gc", lambda: calls.append("tuned"))
    before = gc.get_threshold()
    import sys

    if "auditreg.wsgi" in sys.modules:
        importlib.reload(sys.modules["auditreg.wsgi"])
    else:
        importlib.import_module("auditreg.wsgi")
    import auditreg.wsgi

    assert calls == ["tuned"]
    assert gc.get_threshold() == before  # the stub ran instead: the test process keeps its own settings
    assert callable(auditreg.wsgi.application)


def test_tune_gc_sets_the_thresholds():
    before = gc.get_threshold()
    try:
        runtime.tune_gc()
        assert gc.get_threshold() == runtime.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
