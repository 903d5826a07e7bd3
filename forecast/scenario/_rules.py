"""What every part of a scenario shares: the actions and their rules, the error,
and :class:`BoundScenario` (a scenario checked against a cut, the simulator's hook).

At the bottom of the package: :mod:`._read` (reading and binding) and the package
itself import from here, never the other way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ..exceptions import ForecastError, Problem
from ..models.draws import Separate

#: The actions a scenario row can take.
ACTIONS = ("delay", "cancel", "start", "complete", "add")
#: Chinese (and a few English) spellings of the actions.
ACTION_ALIASES = {"推迟": "delay", "延迟": "delay", "延期": "delay", "终止": "cancel", "取消": "cancel",
                  "开工": "start", "竣工": "complete", "完工": "complete", "新增": "add", "增加": "add"}
#: Headers of the three change columns, as a scenario file may write them.
HEADERS = {"project_id": ("project_id", "项目编号"), "action": ("action", "动作", "操作", "情景动作"),
           "value": ("value", "值", "参数", "取值")}
#: The longest delay, in quarters.
MAX_DELAY = 16
#: Combinations of actions one project may take (one row each).
_ALLOWED = ({"delay"}, {"cancel"}, {"start"}, {"complete"}, {"start", "complete"}, {"add"})
#: Stages each action applies to (at ``as_of``).
_STAGES_FOR = {
    "delay": ("reserve", "signed", "started", "completed"),
    "cancel": ("reserve", "signed", "started"),
    "start": ("reserve", "signed"),
    "complete": ("started",),
}


class ScenarioError(ForecastError):
    """A scenario failed its checks; ``problems`` lists every failure at once."""

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        head = f"{len(self.problems)} error(s) in scenario {source or ''}".rstrip()
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems[:50]))


@dataclass
class BoundScenario:
    """A scenario checked against a ledger cut, ready for the simulator.

    ``split(zone_id, projects)`` is the hook :func:`forecast.simulate.simulate_zone`
    calls. :meth:`baseline` is the same split without the changes, for the
    baseline the scenario is compared with.
    """

    cut: Any
    #: The cut with the added projects (the cut itself when none are added).
    cut_added: Any
    #: project id -> list of (action, value), in the order start, complete
    plan: dict[str, list[tuple[str, Any]]]
    #: zone id -> project ids it touches (sorted), added ones included
    by_zone: dict[str, list[str]]
    added: set[str]
    apply_changes: bool = True

    @property
    def zones(self) -> list[str]:
        """The zones the scenario touches, in ledger order."""
        return [z for z in self.cut.zone_ids if z in self.by_zone]

    def baseline(self) -> "BoundScenario":
        """The baseline of the same streams: touched projects apart, unchanged; none added."""
        return replace(self, apply_changes=False)

    def split(self, zone_id: str, projects: pd.DataFrame) -> tuple[pd.DataFrame, list[Separate]]:
        """The zone's projects simulated as usual, and the touched ones apart."""
        ids = self.by_zone.get(zone_id)
        if not ids:
            return projects, []
        rest = projects.loc[~projects["project_id"].isin(ids)]
        out: list[Separate] = []
        for pid in ids:
            if pid in self.added:
                if not self.apply_changes:
                    continue
                cut = self.cut_added
            else:
                cut = self.cut
            rows = cut.projects.loc[cut.projects["project_id"] == pid]
            if rows.empty:  # cancelled at as_of (not simulated at all) cannot be touched: bind checks
                continue
            change = _change(self.plan.get(pid, []), cut.cut) if self.apply_changes else None
            out.append(Separate(pid, cut, rows, change))
        return rest, out


def _change(actions: list[tuple[str, Any]], as_of: pd.Period) -> Any:
    """``Paths -> (Paths, spends)`` applying ``actions`` in order, or None."""
    if not actions:
        return None
    from ._paths import apply

    return lambda paths: apply(paths, actions, as_of)
