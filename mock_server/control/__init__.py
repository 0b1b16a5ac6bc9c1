"""The control plane: everything under ``/_mock/``.

- :mod:`.routes`: the HTTP routes, generated from :file:`openapi.yaml` beside this file;
- :mod:`.inprocess`: :class:`~.inprocess.Controls`, the same operations as Python calls;
- :mod:`.apps`, :mod:`.fault_rules`, :mod:`.snapshot`, :mod:`.shortcuts`: what those operations do.

Nothing below the control plane (handlers, domain, store) imports it.
"""
