"""Reports of the engine's measurements, typed: each read from and written to JSON by one type and put into
words once (``lines``) for the command line, `dreamwalk info`, the model card and the launcher. Plain data
and formatting: nothing here measures, so the player's side reads them without the evaluation's."""

from engine.reports.bench import BenchReport, BenchSetting, RoundsSetting
from engine.reports.common import Estimate, ReportError, read_report, write_report
from engine.reports.compare import PairedComparison, PooledReport
from engine.reports.depth import DepthErrors, DepthReport
from engine.reports.evaluation import EvalReport
from engine.reports.prompts import PromptReport, PromptRollout
from engine.reports.revisits import PictureRevisit, RevisitReport

__all__ = ["BenchReport", "BenchSetting", "DepthErrors", "DepthReport", "Estimate", "EvalReport", "PairedComparison",
           "PictureRevisit", "PooledReport", "PromptReport", "PromptRollout", "ReportError", "RevisitReport",
           "RoundsSetting", "read_report", "write_report"]
