"""The conversation layer: flows declared as data, and the rules that keep what people type.

A flow is an enum of its states (`States`), a typed draft (`Draft`) and, per state, a `State`:
its prompt, the inputs it accepts, its handler and its edges. The router (`handlers.router`)
runs them: Back and Cancel, edit-then-return, sub-flows that return (a stack in the state row),
and parking of a draft that an interruption would otherwise throw away (`parking`).
"""

from handlers.conversation.drafts import Draft
from handlers.conversation.flow import Flow, Input, State
from handlers.conversation.states import States

__all__ = ["Draft", "Flow", "Input", "State", "States"]
