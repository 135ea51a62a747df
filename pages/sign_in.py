"""Sign-in: local accounts. Wall displays never come here (they open with a display key)."""
import streamlit as st

from data_access import auth, territory
from ui import session
from ui.data import read
from ui.i18n import t
from ui.guard import require_router

require_router()

st.title(t("app.title"))
left, _ = st.columns([2, 3])
with left.form("sign_in", border=True):
    st.subheader(t("signin.title"))
    username = st.text_input(t("signin.username"), key="signin_username")
    password = st.text_input(t("signin.password"), type="password", key="signin_password")
    submitted = st.form_submit_button(t("signin.submit"), type="primary", width="stretch", key="signin_submit")

if submitted:
    user = auth.authenticate(username, password)
    if user is None:
        left.error(t("signin.failed"))
    else:
        session.sign_in(user)
        st.rerun()

if read(territory.dataset_kind) == "demo":
    left.info(t("signin.demo_hint"), icon=":material/science:")
left.caption(t("signin.wall_hint"))
