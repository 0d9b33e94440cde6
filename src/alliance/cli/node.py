"""The node as the CLI sees it. Imported on a command's first use of the node (`context.node_of`):
it brings the store, the index and every service, which `--help` and `config show` do without."""

from __future__ import annotations

from functools import cached_property

from alliance.core.access import SYSTEM
from alliance.node import Node as BaseNode
from alliance.services.alliance import AllianceService
from alliance.services.alliance_figures import FiguresService
from alliance.services.banks import BankService
from alliance.services.matching import MatchService


class Node(BaseNode):
    """The node as the CLI sees it: the operator is trusted like a node admin and audited as 'cli'."""

    @cached_property
    def banks(self) -> BankService:
        return self.banks_for(SYSTEM)

    @cached_property
    def matching(self) -> MatchService:
        return self.matching_for(SYSTEM)

    @cached_property
    def alliance(self) -> AllianceService:
        return self.alliance_for(SYSTEM)

    @cached_property
    def figures(self) -> FiguresService:
        return self.figures_for(SYSTEM)
