"""The one-line "saved" message a page shows once after a save and the rerun that follows it."""
from __future__ import annotations

import streamlit as st


def show_once(key: str) -> None:
    """Show (and forget) the message a save left under `key` in the session."""
    message = st.session_state.pop(key, None)
    if message:
        st.success(message, icon=":material/check_circle:")
