"""A world's ONNX Runtime sessions, made in a thread of their own while the world starts.

Making a session (reading and optimising its graph) leaves Python's lock free most of the time, and the
first frame of a world with a memory spends its own time holding it (the depth of the picture, the coarse
surround): the two overlap, so the first frame comes sooner. What a frame shows does not depend on it: a
graph is only ever used once it is made (``graphs[name]`` waits for it).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator, Mapping


class GraphLoader(Mapping[str, Any]):
    """``load(name)`` for each of ``names`` in that order, in one thread; ``loader[name]`` waits for that
    one and raises what its loading raised."""

    def __init__(self, names: list[str], load: Callable[[str], Any]) -> None:
        self._names = list(names)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dreamwalk-graphs")
        self._loading: dict[str, Future] = {name: self._pool.submit(load, name) for name in self._names}
        self._pool.shutdown(wait=False)           # the thread ends once the last graph is made

    def __getitem__(self, name: str) -> Any:
        return self._loading[name].result()

    def __contains__(self, name: object) -> bool:         # without waiting for it
        return name in self._loading

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def wait(self) -> None:
        """Every graph made (the first loading error raised)."""
        for name in self._names:
            self[name]

    def close(self) -> None:
        """Nothing more made; returns once a graph being made now is done (its files may then go)."""
        for future in self._loading.values():
            future.cancel()
        for future in self._loading.values():
            if not future.cancelled():
                future.exception()
