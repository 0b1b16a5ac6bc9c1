"""Contracts: what an app really calls, recorded as Pact v4 files and replayed against any MoonKey.

``states`` is the vocabulary both sides share: the recorder names the provider states an
interaction needs, the verifier (and ``POST /_mock/contract/states``) sets them up and answers the
values the contract's provider-state generators inject.
"""
