"""All flows, assembled. The order of modules is the order of commands in menus and help."""

from __future__ import annotations

from crm.enums import Role
from handlers import agenda, common, customers, followups, summary, tickets, visit
from handlers.router import Router


def build_router() -> Router:
    router = Router()
    for module in (visit, agenda, followups, summary, customers, tickets, common):
        router.add(
            commands=getattr(module, "COMMANDS", ()),
            actions=getattr(module, "ACTIONS", ()),
            flows=getattr(module, "FLOWS", ()),
        )
        router.authorisers.update(getattr(module, "AUTHORISERS", {}))
    router.help = common.show_help
    router.fallback = {role: common.show_help for role in Role}
    return router
