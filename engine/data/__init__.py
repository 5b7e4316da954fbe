"""Recording real environments into episode shards, and reading them back.

    from engine.data import open_source, read_episodes
"""

from engine.data.episodes import Episode, read_episodes
from engine.data.source import Source
from engine.data.sources import SOURCE_NAMES, open_source
from engine.data.windows import Split, WindowStream, window_dataset

__all__ = ["Episode", "SOURCE_NAMES", "Source", "Split", "WindowStream", "open_source",
           "read_episodes", "window_dataset"]
