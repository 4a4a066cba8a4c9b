"""Handlers stay tidy: staff-only handlers get a `StaffCtx` from the router (so none asserts
that a staff member is there), and a context without one is refused, never an AssertionError."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.types import Inbound, T
from crm.enums import Role
from handlers import build_router
from handlers.base import Ctx, Identity, StaffCtx, may_run, staff_only
from handlers.refusals import DENIED
from handlers.visit_states import VisitStep

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = sorted((ROOT / "handlers").rglob("*.py"))
ROUTER = build_router()


def _is_who_staff(node: ast.AST) -> bool:
    """`<anything>.who.staff`."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "staff"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "who"
    )


def _staff_asserts(tree: ast.AST) -> list[int]:
    """Lines asserting that the user is staff: `assert ctx.who.staff ...`, or a name bound to
    `ctx.who.staff` then asserted (`me = ctx.who.staff; assert me is not None`)."""
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        bound = {
            t.id
            for n in ast.walk(fn)
            if isinstance(n, ast.Assign) and _is_who_staff(n.value)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for n in ast.walk(fn):
            if not isinstance(n, ast.Assert):
                continue
            for part in ast.walk(n.test):
                if _is_who_staff(part) or (isinstance(part, ast.Name) and part.id in bound):
                    found.append(n.lineno)
                    break
    return found


def test_no_handler_asserts_that_its_user_is_staff() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in HANDLERS
        for line in _staff_asserts(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "staff-only handlers take `ctx: StaffCtx` and read `ctx.me`"


def test_the_assert_finder_finds_both_forms() -> None:
    src = (
        "async def a(ctx):\n    assert ctx.who.staff is not None\n"
        "async def b(ctx):\n    me = ctx.who.staff\n    assert me is not None\n"
        "async def c(ctx):\n    assert ctx.obj_id is not None\n"
    )
    assert _staff_asserts(ast.parse(src)) == [2, 5]


def test_no_handler_checks_for_staff_but_the_guard() -> None:
    """`ctx.who.staff is (not) None` in a staff handler means it does not trust the router."""
    found = []
    for path in HANDLERS:
        if path.name == "base.py":
            continue  # the guard itself
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(n, ast.Compare)
                and _is_who_staff(n.left)
                and isinstance(n.ops[0], ast.IsNot | ast.Is)
            ):
                found.append(f"{path.relative_to(ROOT)}:{n.lineno}")
    # Shared by customers and staff: the start and the language choice.
    assert {f.split(":")[0] for f in found} <= {"handlers/common.py"}, found


def _registered() -> list[tuple[str, frozenset[Role], object]]:
    out: list[tuple[str, frozenset[Role], object]] = []
    out += [(f"/{c.name}", c.roles, c.handler) for c in ROUTER.commands.values()]
    out += [(f"action {a.name}", a.roles, a.handler) for a in ROUTER.actions.values()]
    for flow in ROUTER.flows.values():
        for state, decl in flow.steps.items():
            out.append((state.key, flow.roles, decl.handler))
            out.append((f"{state.key} prompt", flow.roles, decl.prompt))
        out += [(f"{s.key} return", flow.roles, h) for s, h in flow.returns.items()]
    return out


def test_only_staff_only_handlers_read_ctx_me() -> None:
    """`ctx.me` exists on a StaffCtx only: a handler open to customers must not read it."""
    wrong = []
    for name, roles, handler in _registered():
        if staff_only(roles) or not inspect.isfunction(handler):
            continue
        if "ctx.me" in inspect.getsource(handler):
            wrong.append(name)
    assert wrong == []


def test_staff_only_handlers_are_typed_for_staff() -> None:
    """The registered staff-only handlers that read `ctx.me` say so in their signature."""
    untyped = []
    for name, roles, handler in _registered():
        if not staff_only(roles) or not inspect.isfunction(handler):
            continue
        params = list(inspect.signature(handler).parameters.values())
        if "ctx.me" in inspect.getsource(handler) and params[0].annotation != "StaffCtx":
            untyped.append(name)
    assert untyped == []


def _ctx(cls: type[Ctx], role: Role, **inbound: object) -> Ctx:
    """A context as the engine builds it, but with no staff member behind the role: the case
    the router must refuse before any staff handler runs (no database is needed for that)."""
    return cls(
        session=None,  # type: ignore[arg-type]
        who=Identity(role=role, locale="en", tz=ZoneInfo("Asia/Shanghai")),
        inbound=Inbound(channel="console", update_id=1, chat_id=5, user_id=5, **inbound),  # type: ignore[arg-type]
        clock=None,  # type: ignore[arg-type]
        rules=None,  # type: ignore[arg-type]
        notify=None,  # type: ignore[arg-type]
        render=lambda t: t.msgid if isinstance(t, T) else str(t),  # type: ignore[attr-defined]
        book=ROUTER,
    )


def test_may_run_wants_a_staff_member_for_staff_only_roles() -> None:
    sales = frozenset({Role.SALES})
    assert not may_run(_ctx(Ctx, Role.SALES), sales)
    assert not may_run(_ctx(StaffCtx, Role.SALES), sales)  # a StaffCtx without its staff
    assert not may_run(_ctx(Ctx, Role.CUSTOMER), sales)
    assert may_run(_ctx(Ctx, Role.CUSTOMER), frozenset({Role.CUSTOMER}))
    assert may_run(_ctx(Ctx, Role.CUSTOMER), frozenset(Role))


@pytest.mark.parametrize("cls", [Ctx, StaffCtx])
@pytest.mark.parametrize(
    "inbound",
    [
        {"text": "/today"},  # a staff-only command
        {"text": "/visit"},
        {"callback": "card:1"},  # a staff-only action
        {"text": "华能电厂 见了张工"},  # a rep's idle words: the staff fallback
    ],
)
async def test_a_staff_only_handler_without_staff_is_refused(
    cls: type[Ctx], inbound: dict[str, object]
) -> None:
    ctx = _ctx(cls, Role.SALES, **inbound)
    step = await ROUTER.dispatch(ctx)  # before the guard: AttributeError / AssertionError
    assert [r.text for r in step.replies] == [DENIED]
    assert ctx.state is None


async def test_a_staff_flow_without_staff_is_refused() -> None:
    ctx = _ctx(Ctx, Role.SALES, text="华能电厂")
    ROUTER.load(ctx, VisitStep.CUSTOMER.flow, VisitStep.CUSTOMER.value, {"d": {}})
    assert ctx.state == VisitStep.CUSTOMER
    step = await ROUTER.dispatch(ctx)
    assert [r.text for r in step.replies] == [DENIED] and ctx.state is None
    # The same flow's button is not run, and the draft stays where it was.
    ctx = _ctx(Ctx, Role.SALES, callback=f"~{VisitStep.CUSTOMER.key}:1")
    ROUTER.load(ctx, VisitStep.CUSTOMER.flow, VisitStep.CUSTOMER.value, {"d": {"text": "华能"}})
    step = await ROUTER.dispatch(ctx)
    assert [(r.text, r.notice) for r in step.replies] == [(DENIED, "alert")]
    assert ctx.state == VisitStep.CUSTOMER and ctx.data.text == "华能"


def _refusal_msgids() -> dict[str, str]:
    tree = ast.parse((ROOT / "handlers" / "refusals.py").read_text(encoding="utf-8"))
    found = {}
    for n in tree.body:
        if (
            isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Call)
            and isinstance(n.value.func, ast.Name)
            and n.value.func.id == "T"
            and isinstance(n.value.args[0], ast.Constant)
        ):
            found[n.value.args[0].value] = n.targets[0].id  # type: ignore[attr-defined]
    return found


def _t_calls(tree: ast.AST) -> list[tuple[int, str]]:
    return [
        (n.lineno, n.args[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id in ("T", "TN")
        and n.args
        and isinstance(n.args[0], ast.Constant)
        and isinstance(n.args[0].value, str)
    ]


def test_refusals_are_written_once() -> None:
    refusals = _refusal_msgids()
    assert len(refusals) >= 15 and "That is not available to you. Nothing was changed." in refusals
    again = [
        f"{path.relative_to(ROOT)}:{line} repeats refusals.{refusals[msgid]}"
        for path in HANDLERS
        if path.name != "refusals.py"
        for line, msgid in _t_calls(ast.parse(path.read_text(encoding="utf-8")))
        if msgid in refusals
    ]
    assert again == []


# SQL is the crm services' business: a handler names what it wants (`colleagues.managed_by`,
# `records.customer`), it neither builds a query nor calls the session itself.
SQL_BUILDERS = {"select", "update", "delete", "insert", "text", "union", "exists"}


def _raw_sql(tree: ast.AST, *, may_type_sessions: bool = False) -> list[tuple[int, str]]:
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "sqlalchemy":
            names = {a.name for a in n.names}
            if not (
                may_type_sessions
                and n.module == "sqlalchemy.ext.asyncio"
                and names == {"AsyncSession"}
            ):
                found.append((n.lineno, f"from {n.module} import"))
        elif isinstance(n, ast.Import) and any(
            a.name.split(".")[0] == "sqlalchemy" for a in n.names
        ):
            found.append((n.lineno, "import sqlalchemy"))
        elif isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Name) and f.id in SQL_BUILDERS:
                found.append((n.lineno, f"{f.id}()"))
            elif isinstance(f, ast.Attribute) and (
                (isinstance(f.value, ast.Attribute) and f.value.attr == "session")
                or (isinstance(f.value, ast.Name) and f.value.id == "session")
            ):
                found.append((n.lineno, f"session.{f.attr}()"))
    return found


def test_handlers_hold_no_raw_sql() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} {what}"
        for path in HANDLERS
        for line, what in _raw_sql(
            ast.parse(path.read_text(encoding="utf-8")), may_type_sessions=path.name == "base.py"
        )
    ]
    assert found == [], "move the query into a crm/services function with a clear name"


def test_the_sql_finder_finds_queries() -> None:
    src = (
        "from sqlalchemy import select\n"
        "async def a(ctx):\n"
        "    rows = await ctx.session.execute(select(X).where(X.id == 1))\n"
        "    await ctx.session.delete(rows)\n"
        "    n = await session.scalar(q)\n"
        "    one = await ctx.session.get(X, 1)\n"
        "    two = await records.customer(ctx.session, 1)\n"
    )
    assert sorted(line for line, _ in _raw_sql(ast.parse(src))) == [1, 3, 3, 4, 5, 6]
