"""All flows, assembled. The order of modules is the order of commands in menus and help."""

from __future__ import annotations

from crm.enums import Role
from handlers import (
    agenda,
    audit,
    calendar_chat,
    campaigns,
    care,
    claims,
    common,
    contacts,
    customer_dupes,
    customer_edit,
    customer_filter_view,
    customer_inbox,
    customer_links,
    customer_new,
    customers,
    deals,
    deals_board,
    deals_contract,
    deals_import,
    deals_opportunity,
    deals_payment,
    deals_reading,
    desk,
    desk_list,
    digest,
    exports,
    followups,
    handover,
    import_chat,
    intake,
    invite,
    my_tickets,
    oncall,
    plans,
    quick,
    rep_reports,
    report,
    return_visits,
    rules_chat,
    staff,
    status,
    summary,
    targets,
    team_reports,
    tickets,
    visit,
    visit_flow,
    visit_reading,
)
from handlers.base import FIELD, STAFF
from handlers.conversation import parking
from handlers.router import Router

MODULES = (
    visit,
    visit_flow,
    agenda,
    followups,
    plans,
    targets,
    rep_reports,
    summary,
    report,
    team_reports,
    digest,
    campaigns,
    customers,
    deals,
    deals_board,
    deals_contract,
    deals_import,
    deals_opportunity,
    deals_reading,
    deals_payment,
    claims,
    customer_new,
    contacts,
    customer_edit,
    customer_dupes,
    customer_filter_view,
    status,
    quick,
    visit_reading,
    tickets,
    intake,
    my_tickets,
    customer_inbox,
    customer_links,
    care,
    desk,
    desk_list,
    oncall,
    return_visits,
    staff,
    handover,
    invite,
    exports,
    import_chat,
    rules_chat,
    calendar_chat,
    audit,
    common,
    parking,
)


def build_router() -> Router:
    router = Router()
    for module in MODULES:
        router.add(
            commands=getattr(module, "COMMANDS", ()),
            actions=getattr(module, "ACTIONS", ()),
            flows=getattr(module, "FLOWS", ()),
        )
        router.authorisers.update(getattr(module, "AUTHORISERS", {}))
    router.help = common.show_help
    # Outside a flow, what a rep types or sends may be a visit report or a check-in pin.
    router.fallback = {
        role: quick.fallback if role in FIELD else quick.staff_fallback for role in STAFF
    }
    # A customer's message outside a flow: a shared phone number, or words on their request.
    router.fallback[Role.CUSTOMER] = customer_inbox.customer_fallback
    # A CSV or XLSX sent outside a flow is an import (for an admin; refused for other staff).
    for role in STAFF:
        router.fallback[role] = import_chat.with_files(router.fallback[role])
    return router
