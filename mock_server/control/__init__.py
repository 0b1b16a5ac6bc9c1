"""The control plane: everything under ``/_mock/``.

- :mod:`.routes`: the control plane over :file:`openapi.yaml` beside this file, and its guard;
- :mod:`.operations`: one function per control operation;
- :mod:`.dashboard`: the pages at ``/_mock/ui``;
- :mod:`.inprocess`: :class:`~.inprocess.Controls`, the same operations as Python calls;
- :mod:`.apps`, :mod:`.fault_rules`, :mod:`.snapshot`, :mod:`.shortcuts`: what those operations do.

Nothing below the control plane (handlers, domain, store) imports it.
"""
