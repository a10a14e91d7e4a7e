"""The Audible source: the ``audible`` package's async client behind our session (session.py), one method
per call (api.py), wire shapes (types.py) and the mapper (mapper.py).

Import the modules themselves: this package stays empty so that naming it does not load ``audible``.
"""
