"""What every command needs: the node, acting as the operator at the command line, and consoles."""

from __future__ import annotations

from functools import cached_property

from rich.console import Console

from alliance.core.access import SYSTEM
from alliance.node import Node as BaseNode
from alliance.services.alliance import AllianceService
from alliance.services.alliance_figures import FiguresService
from alliance.services.banks import BankService
from alliance.services.matching import MatchService

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


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
