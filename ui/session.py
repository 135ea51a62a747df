"""Who is signed in, kept in the Streamlit session."""
from __future__ import annotations

import streamlit as st

from data_access.auth import Actor

ACTOR_KEY = "actor"


def actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def sign_in(user: Actor) -> None:
    st.session_state[ACTOR_KEY] = user


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        if key not in ("lang",):
            del st.session_state[key]
