"""The Qt the launcher runs on keeps Python's objects alive: PySide6 6.12.0 on Python 3.11 dropped a reference to
None at every call that returns nothing, and a launcher left open (its preview updates a dozen times a second)
died within minutes ("Fatal Python error: none_dealloc")."""

import sys


def test_qt_calls_keep_python_objects_alive(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QLabel

    qapp = QApplication.instance() or QApplication([])
    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setText("x")
        qapp.processEvents()
    assert abs(sys.getrefcount(None) - before) < 100            # 2,000 lost with the Qt that crashed
